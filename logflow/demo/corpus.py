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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

DEFAULT_START = datetime(2026, 11, 22, tzinfo=UTC)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PATHS = ("/", "/api/cart", "/api/checkout", "/api/products", "/api/products/{id}", "/api/orders/{id}",
         "/static/app.js", "/static/app.css", "/login", "/api/search?q={q}")
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
    ("java.sql.SQLTransientConnectionException", "HikariPool-1 - Connection is not available, request timed out after 30000ms."),
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

    @property
    def day(self) -> str:
        return self.timestamp.strftime("%Y.%m.%d")

    @property
    def poison(self) -> bool:
        return self.dataset == ""

    def expected_index(self, prefix: str = "logs") -> str:
        """The default routing, written independently of logflow.route: errors move to their own index."""
        if self.level in ("error", "fatal"):
            return f"{prefix}-errors-{self.day}"
        return f"{prefix}-{self.dataset}-{self.day}"


def _svc(name: str) -> tuple[tuple[str, bytes], ...]:
    """Producers that know their service say so in a header (raw text lines carry no service field)."""
    return (("service", name.encode()), ("environment", b"production"))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _app_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def _http_time(moment: datetime) -> str:
    return f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment.year}:{moment.strftime('%H:%M:%S')} +0000"


class CorpusGenerator:
    """Yields ``ShipRecord``s; ``count`` is exact, times are spread over ``days`` UTC days from ``start``."""

    def __init__(self, seed: int = 7, start: datetime = DEFAULT_START, days: int = 2, poison: int = 0) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.days = days
        self.poison = poison

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
        status = rng.choice((500, 502, 503, 504)) if failing else rng.choices((200, 201, 304, 404, 401), (80, 5, 8, 5, 2))[0]
        took = rng.uniform(5.0, 12.0) if rng.random() < 0.01 else rng.expovariate(1 / 0.08)
        ip = f"{rng.choice((10, 172, 192, 203))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        user = rng.choice(USERS) if rng.random() < 0.3 else "-"
        line = (
            f'{ip} - {user} [{_http_time(moment)}] "{method} {path} HTTP/1.1" {status} {rng.randint(120, 40000)} '
            f'"https://shop.example.com/" "{rng.choice(AGENTS)}" "-" {took:.3f} {trace}'
        )
        value: bytes
        if rng.random() < 0.5:
            value = orjson.dumps({
                "@timestamp": _iso(moment + timedelta(milliseconds=200)),
                "message": line,
                "agent": {"type": "filebeat", "version": "8.16.1", "name": "web-1"},
                "log": {"file": {"path": "/var/log/nginx/access.log"}, "offset": rng.randint(0, 10**9)},
                "host": {"name": "web-1"},
                "fields": {"service": "web", "env": "production"},
                "input": {"type": "filestream"},
                "ecs": {"version": "8.0.0"},
            })
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
            return ShipRecord(f"{head}\n{trace_text}".encode(), b"checkout", _svc("checkout"), "checkout", "app", "error",
                              moment, trace)
        level, text = rng.choices(
            (("INFO", f"cart priced items={rng.randint(1, 9)} total={rng.uniform(5, 500):.2f}"),
             ("INFO", f"order placed order_id={rng.randint(10000, 99999)}"),
             ("DEBUG", f"cache hit key=cart:{rng.randint(1, 99999)}"),
             ("WARNING", f"slow dependency call inventory took {rng.randint(800, 3000)}ms")),
            (50, 25, 15, 10),
        )[0]
        line = f"{_app_time(moment)} {level} checkout.api: {text} trace_id={trace}"
        normalized = {"INFO": "info", "DEBUG": "debug", "WARNING": "warn"}[level]
        return ShipRecord(line.encode(), b"checkout", _svc("checkout"), "checkout", "app", normalized, moment, trace)

    def _payments(self, moment: datetime, trace: str, failing: bool) -> ShipRecord:
        rng = self.rng
        if failing and rng.random() < 0.7:
            event = {"timestamp": _iso(moment), "level": "error", "event": "payment declined by processor",
                     "logger": "payments.processor", "service": "payments", "env": "production",
                     "trace_id": trace, "amount": round(rng.uniform(5, 500), 2), "processor": "acme-pay",
                     "decline_code": rng.choice(("do_not_honor", "insufficient_funds", "timeout"))}
            level = "error"
        else:
            event = {"timestamp": _iso(moment), "level": "info", "event": "payment authorized",
                     "logger": "payments.processor", "service": "payments", "env": "production",
                     "trace_id": trace, "amount": round(rng.uniform(5, 500), 2), "processor": "acme-pay",
                     "duration_ms": rng.randint(40, 900)}
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
            return ShipRecord(f"{head}\n{stack}".encode(), b"orders", _svc("orders"), "orders", "app", "error", moment, trace)
        line = f"{_app_time(moment)} INFO com.shop.orders.OrderService: order {rng.randint(10000, 99999)} updated trace_id={trace}"
        return ShipRecord(line.encode(), b"orders", _svc("orders"), "orders", "app", "info", moment, trace)

    def _inventory(self, moment: datetime) -> ShipRecord:
        rng = self.rng
        pod = f"inventory-7d9f{rng.randint(0, 2)}"
        level, message = rng.choices(
            (("info", f"stock reserved sku=SKU-{rng.randint(100, 999)} qty={rng.randint(1, 5)}"),
             ("info", "reindex batch done"),
             ("warn", f"stock low sku=SKU-{rng.randint(100, 999)} remaining={rng.randint(0, 3)}"),
             ("error", f"replica lag too high lag_ms={rng.randint(5000, 20000)}")),
            (70, 15, 12, 3),
        )[0]
        inner = orjson.dumps({"@timestamp": _iso(moment), "log.level": level.upper(), "message": message,
                              "ecs.version": "1.6.0", "service.name": "inventory", "log": {"logger": "inventory.stock"}})
        envelope = {
            "log": inner.decode() + "\n",
            "stream": "stdout",
            "time": _iso(moment + timedelta(milliseconds=50)),
            "kubernetes": {"namespace_name": "shop", "pod_name": pod, "container_name": "inventory",
                           "host": "node-2", "labels": {"app": "inventory"}},
        }
        return ShipRecord(orjson.dumps(envelope), b"inventory", (), "inventory", "app", level, moment)

    def _audit(self, moment: datetime) -> ShipRecord:
        rng = self.rng
        user = rng.choice(USERS)
        action, outcome, message = rng.choices(
            (("login", "success", f"User {user} logged in"),
             ("login", "failure", f"Failed login for user {user}: bad password"),
             ("access", "failure", f"Unauthorized access to /admin by {user}"),
             ("role_change", "success", f"Role admin granted to {user}")),
            (70, 20, 7, 3),
        )[0]
        event = {"type": "audit", "timestamp": _iso(moment), "action": action, "outcome": outcome, "user": user,
                 "source_ip": f"198.51.100.{rng.randint(1, 254)}", "message": message, "service": "auth",
                 "env": "production"}
        return ShipRecord(orjson.dumps(event), b"auth", (), "auth", "audit", "", moment)

    def _poison(self, count: int, moment: datetime) -> list[ShipRecord]:
        kinds = (b"\xff\xfe\x00binary junk \x80\x81", b"", b"   \n")
        return [ShipRecord(kinds[i % len(kinds)], b"junk", (), "junk", "", "", moment) for i in range(count)]
