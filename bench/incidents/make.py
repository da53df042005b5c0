"""Write the labelled incident corpora: logs in formats logflow parses, and which lines are incidents.

    python bench/incidents/make.py            # rewrites bench/incidents/<name>/ (deterministic)

Each corpus is a directory with one or more log files (``*.log``, one per component, as they would
be collected) and ``labels.json``:

    {"description": ..., "modelled_on": [write-ups and format docs], "files": [...],
     "incidents": [{"id", "kinds": ["burst", "new", "error", "rare"], "description",
                    "lines": [[first, last], ...]}]}

Line numbers are 1-based over the files concatenated in the order of ``files`` (as ``logflow analyze
FILE...`` numbers them). ``kinds`` says what a reader would call the incident's lines: an error
pattern (``error``), a burst (``burst``), something never seen before (``new``), a one-off
(``rare``). A corpus without incidents is *quiet*: any anomaly there is a false alarm.

The background traffic is steady (Poisson arrivals, several message shapes with varying values)
and its shapes come from the formats' documentation (nginx ``log_format combined`` and error log,
PostgreSQL ``log_line_prefix = '%m [%p] '``, RFC 3164 syslog, Python ``logging``), never from the
analyzer's code. The incidents follow public post-incident write-ups, cited per corpus: what was
logged, in which order, and by which component; counts and timings are scaled to a few hours.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
HOURS = 6.0


@dataclass
class Line:
    at: datetime
    file: str
    text: str
    incident: str = ""


@dataclass
class Corpus:
    name: str
    description: str
    modelled_on: list[str]
    files: list[str]
    incidents: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)

    def add(self, at: datetime, file: str, text: str, incident: str = "") -> None:
        self.lines.append(Line(at, file, text, incident))


def poisson_times(rng: random.Random, per_hour: float, start: datetime, hours: float) -> list[datetime]:
    """Arrival times of a Poisson process."""
    out: list[datetime] = []
    t = 0.0
    while True:
        t += rng.expovariate(per_hour / 3600.0)
        if t >= hours * 3600.0:
            return out
        out.append(start + timedelta(seconds=t))


def steady(
    corpus: Corpus, rng: random.Random, file: str, per_hour: float, make: Callable[[random.Random, datetime], str]
) -> None:
    for at in poisson_times(rng, per_hour, T0, HOURS):
        corpus.add(at, file, make(rng, at))


def ip(rng: random.Random) -> str:
    return f"{rng.choice([10, 172, 192])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


# ---- formats ---------------------------------------------------------------------------------


def nginx_access(at: datetime, client: str, method: str, path: str, status: int, size: int) -> str:
    stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{client} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "-" "Mozilla/5.0 (X11; Linux x86_64)"'


def nginx_error(at: datetime, level: str, pid: int, conn: int, text: str) -> str:
    return f"{at.strftime('%Y/%m/%d %H:%M:%S')} [{level}] {pid}#{pid}: *{conn} {text}"


def app(at: datetime, level: str, logger: str, text: str) -> str:
    return f"{at.strftime('%Y-%m-%d %H:%M:%S')},{at.microsecond // 1000:03d} {level} {logger}: {text}"


def postgres(at: datetime, pid: int, level: str, text: str, who: str = "") -> str:
    prefix = f"{who} " if who else ""
    return f"{at.strftime('%Y-%m-%d %H:%M:%S')}.{at.microsecond // 1000:03d} UTC [{pid}] {prefix}{level}:  {text}"


def syslog(at: datetime, host: str, tag: str, text: str) -> str:
    return f"{at.strftime('%b')} {at.day:2d} {at.strftime('%H:%M:%S')} {host} {tag}: {text}"


# ---- background traffic ------------------------------------------------------------------------

PATHS = ["/", "/api/orders/{n}", "/api/cart", "/static/app.{n}.js", "/api/items/{n}", "/health"]


def web_traffic(corpus: Corpus, rng: random.Random, file: str, per_hour: float) -> None:
    def make(r: random.Random, at: datetime) -> str:
        path = r.choice(PATHS).format(n=r.randrange(1, 5000))
        status = 200 if r.random() > 0.02 else r.choice([301, 404])
        return nginx_access(at, ip(r), r.choice(["GET", "GET", "GET", "POST"]), path, status, r.randrange(200, 9000))

    steady(corpus, rng, file, per_hour, make)


APP_INFO = [
    ("checkout.api", "order {n} placed total={m}"),
    ("checkout.api", "cart {n} priced items={k}"),
    ("checkout.worker", "invoice {n} sent to customer {m}"),
    ("checkout.cache", "cache refreshed keys={k}"),
]


def app_traffic(corpus: Corpus, rng: random.Random, file: str, per_hour: float, errors_per_hour: float = 0) -> None:
    def make(r: random.Random, at: datetime) -> str:
        logger, text = r.choice(APP_INFO)
        return app(at, "INFO", logger, text.format(n=r.randrange(10**5), m=r.randrange(10**4), k=r.randrange(1, 40)))

    steady(corpus, rng, file, per_hour, make)
    if errors_per_hour:
        steady(
            corpus,
            rng,
            file,
            errors_per_hour,
            lambda r, at: app(
                at, "ERROR", "checkout.api", f"payment declined for order {r.randrange(10**5)}: card expired"
            ),
        )


def pg_traffic(corpus: Corpus, rng: random.Random, file: str, per_hour: float) -> None:
    def make(r: random.Random, at: datetime) -> str:
        pid = r.randrange(2000, 9000)
        choice = r.random()
        if choice < 0.5:
            return postgres(
                at, pid, "LOG", f"connection authorized: user=app database=shop application_name=api-{r.randrange(4)}"
            )
        if choice < 0.8:
            return postgres(
                at,
                pid,
                "LOG",
                f"duration: {r.uniform(0.2, 40):.3f} ms  statement: SELECT * FROM orders WHERE id = {r.randrange(10**6)}",  # noqa: E501, S608
            )
        return postgres(
            at, 1312, "LOG", f"checkpoint complete: wrote {r.randrange(10, 900)} buffers ({r.uniform(0, 5):.1f}%)"
        )

    steady(corpus, rng, file, per_hour, make)


def sys_traffic(corpus: Corpus, rng: random.Random, file: str, per_hour: float, host: str = "node-3") -> None:
    def make(r: random.Random, at: datetime) -> str:
        choice = r.random()
        if choice < 0.4:
            return syslog(at, host, f"CRON[{r.randrange(1000, 30000)}]", "(root) CMD (run-parts /etc/cron.hourly)")
        if choice < 0.7:
            return syslog(
                at,
                host,
                f"sshd[{r.randrange(1000, 30000)}]",
                f"Accepted publickey for deploy from {ip(r)} port {r.randrange(30000, 60000)} ssh2",
            )
        if choice < 0.9:
            return syslog(at, host, "systemd[1]", f"Started Session {r.randrange(100, 9999)} of user deploy.")
        return syslog(
            at, host, "kernel", f"[{r.uniform(1e4, 1e6):.6f}] eth0: renamed from veth{r.randrange(16**6):06x}"
        )

    steady(corpus, rng, file, per_hour, make)


# ---- corpora -------------------------------------------------------------------------------------


def at_hour(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def db_failover(seed: int) -> Corpus:
    """A database primary fails over; two services wordings of one failure, then recovery."""
    c = Corpus(
        "db-failover",
        "A PostgreSQL primary goes away for 12 minutes; the web tier answers 502 and the app logs "
        "connection errors in its own words; the database logs a shutdown and a new primary.",
        [
            "The shape (a database primary lost, a failover, clients failing to connect meanwhile) from GitHub, "
            "'October 21 post-incident analysis' (2018), which concerned MySQL; logged here as PostgreSQL, "
            "https://github.blog/2018-10-30-oct21-post-incident-analysis/",
            "nginx log_format combined and error_log, https://nginx.org/en/docs/http/ngx_http_log_module.html",
            "PostgreSQL 'Error Reporting and Logging', log_line_prefix, https://www.postgresql.org/docs/current/runtime-config-logging.html",
        ],
        ["web-access.log", "web-error.log", "app.log", "postgres.log"],
    )
    rng = random.Random(seed)
    web_traffic(c, rng, "web-access.log", 500)
    app_traffic(c, rng, "app.log", 400)
    pg_traffic(c, rng, "postgres.log", 250)
    c.incidents["failover"] = (["burst", "new", "error"], "primary lost: 502s, connect errors in two wordings")
    c.incidents["failover-oneoffs"] = (["rare"], "the database's own shutdown and recovery messages, once each")
    start = at_hour(4.0)
    c.add(start, "postgres.log", postgres(start, 1, "LOG", "received fast shutdown request"), "failover-oneoffs")
    c.add(
        start + timedelta(seconds=1),
        "postgres.log",
        postgres(start, 1, "LOG", "database system is shut down"),
        "failover-oneoffs",
    )
    for at in poisson_times(rng, 1200, start, 0.2):
        c.add(
            at,
            "app.log",
            app(
                at,
                "ERROR",
                "checkout.db",
                f"could not connect to database db-1:5432: Connection refused (attempt {rng.randrange(1, 6)})",
            ),
            "failover",
        )
    for at in poisson_times(rng, 600, start, 0.2):
        c.add(
            at,
            "web-error.log",
            nginx_error(
                at,
                "error",
                31,
                rng.randrange(10**5),
                f'connect() failed (111: Connection refused) while connecting to upstream, client: {ip(rng)}, server: shop.example, request: "GET /api/orders/{rng.randrange(5000)} HTTP/1.1", upstream: "http://10.0.0.12:8080/api/orders", host: "shop.example"',  # noqa: E501
            ),
            "failover",
        )
    for at in poisson_times(rng, 900, start, 0.2):
        c.add(
            at,
            "web-access.log",
            nginx_access(at, ip(rng), "GET", f"/api/orders/{rng.randrange(5000)}", 502, 157),
            "failover",
        )
    back = start + timedelta(minutes=12)
    c.add(
        back,
        "postgres.log",
        postgres(back, 1, "LOG", "database system is ready to accept connections"),
        "failover-oneoffs",
    )
    return c


def disk_full(seed: int) -> Corpus:
    """The database volume fills: writes fail with ENOSPC, then checkpoints PANIC."""
    c = Corpus(
        "disk-full",
        "The database volume fills up: inserts fail with 'No space left on device' for 20 minutes, a "
        "checkpointer PANIC restarts the server; the app logs failed writes.",
        [
            "What PostgreSQL logs and does when its disk fills (ENOSPC on writes, a PANIC when WAL cannot be "
            "written), as its documentation describes it:",
            "PostgreSQL docs, 'Disk Full Failure', https://www.postgresql.org/docs/current/disk-full.html",
        ],
        ["app.log", "postgres.log"],
    )
    rng = random.Random(seed)
    app_traffic(c, rng, "app.log", 450, errors_per_hour=4)
    pg_traffic(c, rng, "postgres.log", 300)
    c.incidents["enospc"] = (["burst", "new", "error"], "writes fail: No space left on device")
    start = at_hour(3.5)
    for at in poisson_times(rng, 400, start, 0.33):
        c.add(
            at,
            "postgres.log",
            postgres(
                at,
                rng.randrange(2000, 9000),
                "ERROR",
                f'could not extend file "base/16384/{rng.randrange(16000, 17000)}": No space left on device',
                "app@shop",
            ),
            "enospc",
        )
        c.add(
            at + timedelta(milliseconds=3),
            "app.log",
            app(
                at,
                "ERROR",
                "checkout.repo",
                f"insert into orders failed: could not extend file: No space left on device (order {rng.randrange(10**5)})",  # noqa: E501
            ),
            "enospc",
        )
    c.incidents["panic"] = (["rare", "error"], "the checkpointer cannot write: PANIC and restart")
    panic = start + timedelta(minutes=20)
    c.add(
        panic,
        "postgres.log",
        postgres(panic, 1312, "PANIC", 'could not write to file "pg_wal/xlogtemp.1312": No space left on device'),
        "panic",
    )
    c.add(
        panic + timedelta(seconds=1),
        "postgres.log",
        postgres(panic, 1, "LOG", "checkpointer process (PID 1312) was terminated by signal 6: Aborted"),
        "panic",
    )
    return c


def oom_kill(seed: int) -> Corpus:
    """The kernel OOM killer ends a JVM once; sshd and cron go on."""
    c = Corpus(
        "oom-kill",
        "One host runs out of memory: the kernel's OOM killer logs once and kills a Java process; "
        "systemd restarts the service. Everything else on the host is routine.",
        [
            "Linux kernel docs, 'Out Of Memory handling' (mm/oom_kill.c messages), https://www.kernel.org/doc/gorman/html/understand/understand016.html",
            "RFC 3164, The BSD syslog Protocol, https://www.rfc-editor.org/rfc/rfc3164",
        ],
        ["syslog.log"],
    )
    rng = random.Random(seed)
    sys_traffic(c, rng, "syslog.log", 500)
    c.incidents["oom"] = (["rare", "error"], "OOM kill of the JVM and its restart")
    at = at_hour(4.5)
    c.add(
        at,
        "syslog.log",
        syslog(
            at,
            "node-3",
            "kernel",
            "[734211.482913] Out of memory: Killed process 4242 (java) total-vm:8123456kB, anon-rss:6234567kB, file-rss:0kB, shmem-rss:0kB, UID:1001 pgtables:13560kB oom_score_adj:0",  # noqa: E501
        ),
        "oom",
    )
    c.add(
        at + timedelta(seconds=2),
        "syslog.log",
        syslog(at, "node-3", "systemd[1]", "orders.service: Main process exited, code=killed, status=9/KILL"),
        "oom",
    )
    c.add(
        at + timedelta(seconds=2),
        "syslog.log",
        syslog(at, "node-3", "systemd[1]", "orders.service: Failed with result 'signal'."),
        "oom",
    )
    return c


def bad_deploy(seed: int) -> Corpus:
    """A deploy ships a config error: a new exception at a steady rate, then a rollback."""
    c = Corpus(
        "bad-deploy",
        "A release reads a renamed setting: every checkout request raises a new KeyError for 40 "
        "minutes, the web tier answers 500, until the rollback.",
        [
            "The shape (a global deploy, every request failing at once, a rollback after about half an hour) "
            "from Cloudflare, 'Details of the Cloudflare outage on July 2, 2019', "
            "https://blog.cloudflare.com/details-of-the-cloudflare-outage-on-july-2-2019/",
            "Python logging, LogRecord attributes and the default format, https://docs.python.org/3/library/logging.html",
        ],
        ["web-access.log", "app.log"],
    )
    rng = random.Random(seed)
    web_traffic(c, rng, "web-access.log", 450)
    app_traffic(c, rng, "app.log", 350, errors_per_hour=3)
    c.incidents["keyerror"] = (["new", "error", "burst"], "KeyError on a renamed setting, 500s")
    c.incidents["release"] = (["rare"], "the release that caused it, logged once")
    start = at_hour(4.2)
    c.add(start, "app.log", app(start, "INFO", "deploy", "release 2026.10.05-2 started on 6 instances"), "release")
    for at in poisson_times(rng, 150, start, 0.66):
        c.add(
            at,
            "app.log",
            app(at, "ERROR", "checkout.api", "request failed: KeyError: 'PAYMENT_GATEWAY_URL'"),
            "keyerror",
        )
        c.add(
            at + timedelta(milliseconds=5),
            "web-access.log",
            nginx_access(at, ip(rng), "POST", "/api/checkout", 500, 41),
            "keyerror",
        )
    return c


def ios(at: datetime, seq: int, facility: str, severity: int, mnemonic: str, text: str) -> str:
    """Cisco IOS system message: ``seq: *timestamp: %FACILITY-SEVERITY-MNEMONIC: text`` (no parser)."""
    stamp = f"{at.strftime('%b')} {at.day:2d} {at.strftime('%H:%M:%S')}.{at.microsecond // 1000:03d}"
    return f"{seq:06d}: *{stamp}: %{facility}-{severity}-{mnemonic}: {text}"


def switch_flap(seed: int, incident: bool = True) -> Corpus:
    """A switch port flaps, then loop guard blocks it: a format logflow does not parse (no time, no level)."""
    c = Corpus(
        "switch-flap",
        "An access switch port flaps (link down/up every few seconds for six minutes), then spanning "
        "tree loop guard blocks the port. Cisco IOS message format, which no logflow parser reads: the "
        "analysis has no time and no level of its own, only the lines in order.",
        [
            "Cisco, 'System Message Format' (seq: timestamp: %FACILITY-SEVERITY-MNEMONIC: description), "
            "https://www.cisco.com/c/en/us/td/docs/routers/access/wireless/software/guide/SysMsgLogging.html",
        ],
        ["switch.log"],
    )
    rng = random.Random(seed)
    lines: list[tuple[datetime, str, int, str, str, str]] = []
    for at in poisson_times(rng, 500, T0, HOURS):
        choice = rng.random()
        if choice < 0.4:
            lines.append(
                (
                    at,
                    "",
                    5,
                    "SEC_LOGIN",
                    "LOGIN_SUCCESS",
                    f"Login Success [user: netops] [Source: {ip(rng)}] [localport: 22]",
                )
            )
        elif choice < 0.7:
            lines.append(
                (
                    at,
                    "",
                    6,
                    "DHCP_SNOOPING",
                    "BINDING",
                    f"binding added for vlan {rng.randrange(10, 40)} port Gi1/0/{rng.randrange(1, 48)}",
                )
            )
        elif choice < 0.9:
            lines.append(
                (
                    at,
                    "",
                    5,
                    "SYS",
                    "CONFIG_I",
                    f"Configured from console by netops on vty{rng.randrange(5)} ({ip(rng)})",
                )
            )
        else:
            lines.append((at, "", 6, "NTP", "PEERSYNC", f"NTP synced to peer {ip(rng)}"))
    if not incident:
        c.name, c.description, c.modelled_on = "quiet-switch", "Routine switch messages (unparsed format).", []
    start = at_hour(4.0)
    t = start
    if incident:
        c.incidents["flap"] = (["burst", "new", "error"], "Gi1/0/17 link down/up, over and over")
        c.incidents["loopguard"] = (["rare", "error"], "loop guard blocks the port")
    while incident and t < start + timedelta(minutes=6):
        lines.append((t, "flap", 3, "LINK", "UPDOWN", "Interface GigabitEthernet1/0/17, changed state to down"))
        lines.append(
            (
                t + timedelta(milliseconds=900),
                "flap",
                5,
                "LINEPROTO",
                "UPDOWN",
                "Line protocol on Interface GigabitEthernet1/0/17, changed state to down",
            )
        )
        t += timedelta(seconds=rng.uniform(2, 6))
        lines.append((t, "flap", 3, "LINK", "UPDOWN", "Interface GigabitEthernet1/0/17, changed state to up"))
        t += timedelta(seconds=rng.uniform(2, 6))
    if incident:
        lines.append(
            (
                t,
                "loopguard",
                2,
                "SPANTREE",
                "LOOPGUARD_BLOCK",
                "Loop guard blocking port GigabitEthernet1/0/17 on VLAN0020.",
            )
        )
    for seq, (at, label, sev, fac, mnem, text) in enumerate(sorted(lines, key=lambda x: x[0])):
        c.add(at, "switch.log", ios(at, seq, fac, sev, mnem, text), label)
    return c


def quiet(
    name: str, seed: int, make: Callable[[Corpus, random.Random], None], description: str, files: list[str]
) -> Corpus:
    c = Corpus(name, description, ["a quiet log: nothing happened"], files)
    make(c, random.Random(seed))
    return c


def quiet_web(c: Corpus, r: random.Random) -> None:
    web_traffic(c, r, "web-access.log", 600)
    app_traffic(c, r, "app.log", 300)


def corpora() -> list[Corpus]:
    return [
        db_failover(11),
        disk_full(12),
        oom_kill(13),
        bad_deploy(14),
        switch_flap(15),
        switch_flap(25, incident=False),
        quiet(
            "quiet-web",
            21,
            quiet_web,
            "Six hours of routine web and app traffic.",
            ["web-access.log", "app.log"],
        ),
        quiet(
            "quiet-steady-errors",
            22,
            lambda c, r: app_traffic(c, r, "app.log", 500, errors_per_hour=20),
            "App traffic with a steady rate of declined payments (errors, but no incident).",
            ["app.log"],
        ),
        quiet(
            "quiet-db",
            23,
            lambda c, r: pg_traffic(c, r, "postgres.log", 500),
            "Routine PostgreSQL logging.",
            ["postgres.log"],
        ),
        quiet(
            "quiet-host",
            24,
            lambda c, r: sys_traffic(c, r, "syslog.log", 400),
            "Routine syslog of one host.",
            ["syslog.log"],
        ),
    ]


def write(c: Corpus) -> None:
    """Each file in time order; labels over the files concatenated in ``files`` order."""
    out = HERE / c.name
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.log"):
        old.unlink()
    offset = 0
    spans: dict[str, list[list[int]]] = {name: [] for name in c.incidents}
    for file in c.files:
        lines = sorted((ln for ln in c.lines if ln.file == file), key=lambda ln: ln.at)
        (out / file).write_text("".join(ln.text + "\n" for ln in lines), encoding="utf-8")
        for number, ln in enumerate(lines, start=offset + 1):
            if ln.incident:
                runs = spans[ln.incident]
                if runs and runs[-1][1] == number - 1:
                    runs[-1][1] = number
                else:
                    runs.append([number, number])
        offset += len(lines)
    labels = {
        "description": c.description,
        "modelled_on": c.modelled_on,
        "files": c.files,
        "lines": offset,
        "incidents": [
            {"id": name, "kinds": kinds, "description": text, "lines": spans[name]}
            for name, (kinds, text) in c.incidents.items()
        ],
    }
    (out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    for c in corpora():
        write(c)
        print(f"{c.name}: {len(c.lines)} lines, {len(c.incidents)} incident(s)")


if __name__ == "__main__":
    _ = math
    main()
