"""A deterministic, realistic log corpus: several services and shapes over two UTC days.

Requests flow web (nginx) -> checkout (Python text logs) -> payments (structlog JSON) and
orders (Java text logs), sharing one trace id; inventory logs ECS JSON through Fluent Bit on
Kubernetes; auth writes audit events; nginx lines arrive raw or in Filebeat envelopes. Errors
carry stack traces inside one record. Every record keeps its ground truth (dataset, level, day)
so tests can compute the expected index counts without asking logflow.

Same seed, same arguments: the same bytes, record for record.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

DEFAULT_START = datetime(2026, 11, 22, tzinfo=UTC)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PATHS = (
    "/",
    "/api/cart",
    "/api/checkout",
    "/api/products",
    "/api/products/{id}",
    "/api/orders/{id}",
    "/static/app.js",
    "/static/app.css",
    "/login",
    "/api/search?q={q}",
)
AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0",
    "python-requests/2.32.3",
)
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
PY_ERRORS = (
    ("ConnectionRefusedError", "[Errno 111] Connection refused", "checkout/db.py", "connect"),
    ("TimeoutError", "payment gateway did not answer within 5.0s", "checkout/payments.py", "charge"),
    ("KeyError", "'sku'", "checkout/cart.py", "total"),
)
JAVA_ERRORS = (
    ("java.lang.IllegalStateException", "Order {id} is already shipped"),
    (
        "java.sql.SQLTransientConnectionException",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
    ),
    ("java.lang.NullPointerException", 'Cannot invoke "Address.getZip()" because "address" is null'),
)


@dataclass(frozen=True, slots=True)
class ShipRecord:
    """One Kafka record to produce, with the truth about what it should become."""

    value: bytes
    key: bytes
    headers: tuple[tuple[str, bytes], ...]
    service: str
    dataset: str  # expected event.dataset ("" for records that must be dead-lettered)
    level: str  # expected normalized log.level
    timestamp: datetime
    trace_id: str | None = None
    incident: str = ""  # the injected incident's name; "" for the steady corpus

    @property
    def day(self) -> str:
        return self.timestamp.strftime("%Y.%m.%d")

    @property
    def poison(self) -> bool:
        return self.dataset == ""

    def expected_index(self, prefix: str = "logflow") -> str:
        """The default routing, written independently of logflow.route.router: errors move to their own index."""
        if self.level in ("error", "fatal"):
            return f"{prefix}-errors-{self.day}"
        return f"{prefix}-{self.dataset}-{self.day}"


def _svc(name: str) -> tuple[tuple[str, bytes], ...]:
    """Producers that know their service say so in a header (raw text lines carry no service field)."""
    return (("service", name.encode()), ("environment", b"production"))


def declined_payment(rng: random.Random, moment: datetime, trace: str) -> dict[str, object]:
    """The payments service's decline event (steady traffic and the spike incident share it)."""
    return {
        "timestamp": _iso(moment),
        "level": "error",
        "event": "payment declined by processor",
        "logger": "payments.processor",
        "service": "payments",
        "env": "production",
        "trace_id": trace,
        "amount": round(rng.uniform(5, 500), 2),
        "processor": "acme-pay",
        "decline_code": rng.choice(("do_not_honor", "insufficient_funds", "timeout")),
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _app_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def _http_time(moment: datetime) -> str:
    return f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment.year}:{moment.strftime('%H:%M:%S')} +0000"


class CorpusGenerator:
    """Yields ``ShipRecord``s; ``count`` is exact, times are spread over ``days`` UTC days from ``start``."""

    def __init__(
        self,
        seed: int = 7,
        start: datetime = DEFAULT_START,
        days: float = 2,
        poison: int = 0,
        incidents: Sequence[Incident] = (),
    ) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.days = days
        self.poison = poison
        self.seed = seed
        self.incidents = tuple(incidents)

    def _trace(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _moment(self, index: int, count: int) -> datetime:
        span = timedelta(days=self.days).total_seconds()
        offset = span * (index + self.rng.random()) / max(count, 1)
        return self.start + timedelta(seconds=min(offset, span - 0.001))

    def records(self, count: int) -> list[ShipRecord]:
        out: list[ShipRecord] = []
        # ~2.58 records per step on average; plan for 2.5 so the stream never outruns the window.
        stream = self._requests(max(int(count / 2.5), 1))
        while len(out) < count - self.poison:
            out.append(next(stream))
        if self.incidents:
            out = inject(out, self.incidents, self.start, random.Random(f"{self.seed}-incidents"))
        out.extend(self._poison(self.poison, out[-1].timestamp if out else self.start))
        return out

    def _requests(self, steps: int) -> Iterator[ShipRecord]:
        rng = self.rng
        step = 0
        while True:
            moment = self._moment(min(step, steps - 1), steps)
            step += 1
            roll = rng.random()
            if roll < 0.07:
                yield self._audit(moment)
                continue
            if roll < 0.17:
                yield self._inventory(moment)
                continue
            trace = self._trace()
            failing = rng.random() < 0.06
            yield self._nginx(moment, trace, failing)
            yield self._checkout(moment + timedelta(milliseconds=3), trace, failing)
            if rng.random() < 0.6:
                yield self._payments(moment + timedelta(milliseconds=9), trace, failing)
            if rng.random() < 0.3:
                yield self._orders(moment + timedelta(milliseconds=15), trace, failing and rng.random() < 0.5)

    def _nginx(self, moment: datetime, trace: str, failing: bool) -> ShipRecord:
        rng = self.rng
        path = rng.choice(PATHS).format(id=rng.randint(1, 9999), q=rng.choice(("shoes", "red+hat", "gift")))
        method = "POST" if path in ("/api/checkout", "/login", "/api/cart") else "GET"
        status = (
            rng.choice((500, 502, 503, 504)) if failing else rng.choices((200, 201, 304, 404, 401), (80, 5, 8, 5, 2))[0]
        )
        took = rng.uniform(5.0, 12.0) if rng.random() < 0.01 else rng.expovariate(1 / 0.08)
        ip = f"{rng.choice((10, 172, 192, 203))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        user = rng.choice(USERS) if rng.random() < 0.3 else "-"
        line = (
            f'{ip} - {user} [{_http_time(moment)}] "{method} {path} HTTP/1.1" {status} {rng.randint(120, 40000)} '
            f'"https://shop.example.com/" "{rng.choice(AGENTS)}" "-" {took:.3f} {trace}'
        )
        value: bytes
        if rng.random() < 0.5:
            value = orjson.dumps(
                {
                    "@timestamp": _iso(moment + timedelta(milliseconds=200)),
                    "message": line,
                    "agent": {"type": "filebeat", "version": "8.16.1", "name": "web-1"},
                    "log": {"file": {"path": "/var/log/nginx/access.log"}, "offset": rng.randint(0, 10**9)},
                    "host": {"name": "web-1"},
                    "fields": {"service": "web", "env": "production"},
                    "input": {"type": "filestream"},
                    "ecs": {"version": "8.0.0"},
                }
            )
        else:
            value = line.encode()
        return ShipRecord(value, b"web", _svc("web"), "web", "nginx.access", "", moment, trace)

    def _checkout(self, moment: datetime, trace: str, failing: bool) -> ShipRecord:
        rng = self.rng
        if failing:
            etype, emsg, path, func = rng.choice(PY_ERRORS)
            head = f"{_app_time(moment)} ERROR checkout.api: checkout failed trace_id={trace}"
            trace_text = (
                "Traceback (most recent call last):\n"
                f'  File "/app/{path}", line {rng.randint(20, 400)}, in {func}\n'
                f"    result = await client.{func}(order)\n"
                f"{etype}: {emsg}"
            )
            return ShipRecord(
                f"{head}\n{trace_text}".encode(),
                b"checkout",
                _svc("checkout"),
                "checkout",
                "app",
                "error",
                moment,
                trace,
            )
        level, text = rng.choices(
            (
                ("INFO", f"cart priced items={rng.randint(1, 9)} total={rng.uniform(5, 500):.2f}"),
                ("INFO", f"order placed order_id={rng.randint(10000, 99999)}"),
                ("DEBUG", f"cache hit key=cart:{rng.randint(1, 99999)}"),
                ("WARNING", f"slow dependency call inventory took {rng.randint(800, 3000)}ms"),
            ),
            (50, 25, 15, 10),
        )[0]
        line = f"{_app_time(moment)} {level} checkout.api: {text} trace_id={trace}"
        normalized = {"INFO": "info", "DEBUG": "debug", "WARNING": "warn"}[level]
        return ShipRecord(line.encode(), b"checkout", _svc("checkout"), "checkout", "app", normalized, moment, trace)

    def _payments(self, moment: datetime, trace: str, failing: bool) -> ShipRecord:
        rng = self.rng
        if failing and rng.random() < 0.7:
            event = declined_payment(rng, moment, trace)
            level = "error"
        else:
            event = {
                "timestamp": _iso(moment),
                "level": "info",
                "event": "payment authorized",
                "logger": "payments.processor",
                "service": "payments",
                "env": "production",
                "trace_id": trace,
                "amount": round(rng.uniform(5, 500), 2),
                "processor": "acme-pay",
                "duration_ms": rng.randint(40, 900),
            }
            level = "info"
        headers = (("traceparent", f"00-{trace}-{rng.getrandbits(64):016x}-01".encode()),)
        return ShipRecord(orjson.dumps(event), b"payments", headers, "payments", "app", level, moment, trace)

    def _orders(self, moment: datetime, trace: str, failing: bool) -> ShipRecord:
        rng = self.rng
        if failing:
            etype, emsg = rng.choice(JAVA_ERRORS)
            emsg = emsg.format(id=rng.randint(10000, 99999))
            head = f"{_app_time(moment)} ERROR com.shop.orders.OrderService: order update failed trace_id={trace}"
            stack = (
                f"{etype}: {emsg}\n"
                "\tat com.shop.orders.OrderService.update(OrderService.java:142)\n"
                "\tat com.shop.orders.OrderController.put(OrderController.java:57)\n"
                "\tat java.base/java.lang.Thread.run(Thread.java:1583)"
            )
            return ShipRecord(
                f"{head}\n{stack}".encode(), b"orders", _svc("orders"), "orders", "app", "error", moment, trace
            )
        order = rng.randint(10000, 99999)
        line = f"{_app_time(moment)} INFO com.shop.orders.OrderService: order {order} updated trace_id={trace}"
        return ShipRecord(line.encode(), b"orders", _svc("orders"), "orders", "app", "info", moment, trace)

    def _inventory(self, moment: datetime) -> ShipRecord:
        rng = self.rng
        pod = f"inventory-7d9f{rng.randint(0, 2)}"
        level, message = rng.choices(
            (
                ("info", f"stock reserved sku=SKU-{rng.randint(100, 999)} qty={rng.randint(1, 5)}"),
                ("info", "reindex batch done"),
                ("warn", f"stock low sku=SKU-{rng.randint(100, 999)} remaining={rng.randint(0, 3)}"),
                ("error", f"replica lag too high lag_ms={rng.randint(5000, 20000)}"),
            ),
            (70, 15, 12, 3),
        )[0]
        inner = orjson.dumps(
            {
                "@timestamp": _iso(moment),
                "log.level": level.upper(),
                "message": message,
                "ecs.version": "1.6.0",
                "service.name": "inventory",
                "log": {"logger": "inventory.stock"},
            }
        )
        envelope = {
            "log": inner.decode() + "\n",
            "stream": "stdout",
            "time": _iso(moment + timedelta(milliseconds=50)),
            "kubernetes": {
                "namespace_name": "shop",
                "pod_name": pod,
                "container_name": "inventory",
                "host": "node-2",
                "labels": {"app": "inventory"},
            },
        }
        return ShipRecord(orjson.dumps(envelope), b"inventory", (), "inventory", "app", level, moment)

    def _audit(self, moment: datetime) -> ShipRecord:
        rng = self.rng
        user = rng.choice(USERS)
        action, outcome, message = rng.choices(
            (
                ("login", "success", f"User {user} logged in"),
                ("login", "failure", f"Failed login for user {user}: bad password"),
                ("access", "failure", f"Unauthorized access to /admin by {user}"),
                ("role_change", "success", f"Role admin granted to {user}"),
            ),
            (70, 20, 7, 3),
        )[0]
        event = {
            "type": "audit",
            "timestamp": _iso(moment),
            "action": action,
            "outcome": outcome,
            "user": user,
            "source_ip": f"198.51.100.{rng.randint(1, 254)}",
            "message": message,
            "service": "auth",
            "env": "production",
        }
        return ShipRecord(orjson.dumps(event), b"auth", (), "auth", "audit", "", moment)

    def _poison(self, count: int, moment: datetime) -> list[ShipRecord]:
        kinds = (b"\xff\xfe\x00binary junk \x80\x81", b"", b"   \n")
        return [ShipRecord(kinds[i % len(kinds)], b"junk", (), "junk", "", "", moment) for i in range(count)]


# --- Injected incidents -------------------------------------------------------------------------
# Additive: without ``incidents`` the corpus is byte-for-byte what it always was for a seed. Incident
# records come from their own random generator, are added on top of ``count`` and are merged into
# the stream by time; each carries ``ShipRecord.incident`` so tests know the truth.


@dataclass(frozen=True, slots=True)
class NewError:
    """A new error type starting at ``at`` (offset from the corpus start): ``count`` records over ``duration``."""

    at: timedelta
    count: int = 40
    duration: timedelta = timedelta(hours=4)
    service: str = "orders"
    message: str = "ledger write rejected: disk quota exceeded on volume vol-{n}"
    name: str = "new-error"


@dataclass(frozen=True, slots=True)
class ErrorSpike:
    """A burst of an existing error (payments declined by the processor) at ``at``."""

    at: timedelta
    count: int = 120
    duration: timedelta = timedelta(minutes=30)
    name: str = "error-spike"


@dataclass(frozen=True, slots=True)
class RareMessages:
    """A handful of one-off messages, one every ``every`` from ``at``."""

    at: timedelta
    messages: tuple[str, ...] = (
        "checksum mismatch in journal segment 7f3a, refusing to replay",
        "certificate for internal CA expires in 2 days",
        "GC overhead limit exceeded after full collection",
    )
    every: timedelta = timedelta(minutes=47)
    service: str = "checkout"
    name: str = "rare-messages"


@dataclass(frozen=True, slots=True)
class Cascade:
    """One request whose failure cascades along its trace: web 503, then errors (with retries) in
    checkout, payments, orders and inventory, which normally never fails inside a trace."""

    at: timedelta
    name: str = "cascade"


Incident = NewError | ErrorSpike | RareMessages | Cascade


def _app_error(service: str, incident: str, moment: datetime, text: str, trace_id: str | None) -> ShipRecord:
    """An ERROR line of the app text format from ``service``, labelled with the incident it belongs to."""
    line = _text_line(moment, service, "ERROR", text, trace_id)
    return ShipRecord(line, service.encode(), _svc(service), service, "app", "error", moment, trace_id, incident)


def _text_line(moment: datetime, service: str, level: str, text: str, trace: str | None) -> bytes:
    logger = {"orders": "com.shop.orders.OrderService"}.get(service, f"{service}.api")
    suffix = f" trace_id={trace}" if trace else ""
    return f"{_app_time(moment)} {level} {logger}: {text}{suffix}".encode()


def _incident_records(incident: Incident, start: datetime, rng: random.Random) -> list[ShipRecord]:
    """The records one incident adds (times relative to the corpus start)."""

    def trace() -> str:
        return f"{rng.getrandbits(128):032x}"

    at = start + incident.at
    out: list[ShipRecord] = []
    if isinstance(incident, NewError):
        step = incident.duration / max(incident.count, 1)
        for i in range(incident.count):
            moment = at + step * (i + rng.random())
            t = trace()
            text = incident.message.format(n=rng.randint(1, 9))
            out.append(_app_error(incident.service, incident.name, moment, text, t))
    elif isinstance(incident, ErrorSpike):
        step = incident.duration / max(incident.count, 1)
        for i in range(incident.count):
            moment = at + step * (i + rng.random())
            t = trace()
            event = declined_payment(rng, moment, t)
            headers = (("traceparent", f"00-{t}-{rng.getrandbits(64):016x}-01".encode()),)
            out.append(
                ShipRecord(
                    orjson.dumps(event), b"payments", headers, "payments", "app", "error", moment, t, incident.name
                )
            )
    elif isinstance(incident, RareMessages):
        for i, text in enumerate(incident.messages):
            moment = at + incident.every * i
            out.append(_app_error(incident.service, incident.name, moment, text, None))
    else:
        out.extend(_cascade(incident, at, trace(), rng))
    return out


def _cascade(incident: Cascade, at: datetime, t: str, rng: random.Random) -> list[ShipRecord]:
    ms = timedelta(milliseconds=1)
    ip = f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    web = (
        f'{ip} - - [{_http_time(at)}] "POST /api/checkout HTTP/1.1" 503 182 "https://shop.example.com/" '
        f'"curl/8.5.0" "-" 30.001 {t}'
    )
    out = [ShipRecord(web.encode(), b"web", _svc("web"), "web", "nginx.access", "", at, t, incident.name)]
    for attempt in range(2):
        moment = at + ms * (5 + attempt * 400)
        out.append(
            ShipRecord(
                _text_line(moment, "checkout", "ERROR", "checkout failed", t),
                b"checkout",
                _svc("checkout"),
                "checkout",
                "app",
                "error",
                moment,
                t,
                incident.name,
            )
        )
    moment = at + ms * 12
    event = {
        "timestamp": _iso(moment),
        "level": "error",
        "event": "payment declined by processor",
        "logger": "payments.processor",
        "service": "payments",
        "env": "production",
        "trace_id": t,
        "amount": 99.0,
        "processor": "acme-pay",
        "decline_code": "timeout",
    }
    out.append(
        ShipRecord(
            orjson.dumps(event),
            b"payments",
            (("traceparent", f"00-{t}-{'1' * 16}-01".encode()),),
            "payments",
            "app",
            "error",
            moment,
            t,
            incident.name,
        )
    )
    moment = at + ms * 20
    out.append(
        ShipRecord(
            _text_line(moment, "orders", "ERROR", "order update failed", t),
            b"orders",
            _svc("orders"),
            "orders",
            "app",
            "error",
            moment,
            t,
            incident.name,
        )
    )
    for attempt in range(2):
        moment = at + ms * (30 + attempt * 250)
        inner = orjson.dumps(
            {
                "@timestamp": _iso(moment),
                "log.level": "ERROR",
                "trace.id": t,
                "message": f"stock reservation failed sku=SKU-{rng.randint(100, 999)}",
                "ecs.version": "1.6.0",
                "service.name": "inventory",
                "log": {"logger": "inventory.stock"},
            }
        )
        envelope = {
            "log": inner.decode() + "\n",
            "stream": "stdout",
            "time": _iso(moment),
            "kubernetes": {
                "namespace_name": "shop",
                "pod_name": "inventory-7d9f0",
                "container_name": "inventory",
                "host": "node-2",
                "labels": {"app": "inventory"},
            },
        }
        out.append(
            ShipRecord(orjson.dumps(envelope), b"inventory", (), "inventory", "app", "error", moment, t, incident.name)
        )
    return out


def inject(
    steady: list[ShipRecord], incidents: Sequence[Incident], start: datetime, rng: random.Random
) -> list[ShipRecord]:
    """The steady records with every incident's records merged in by time (stable: steady first on ties)."""
    extra = [r for incident in incidents for r in _incident_records(incident, start, rng)]
    keyed = [(r.timestamp, 0, i, r) for i, r in enumerate(steady)]
    keyed += [(r.timestamp, 1, i, r) for i, r in enumerate(extra)]
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [k[3] for k in keyed]
