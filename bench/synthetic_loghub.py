"""Template-labelled logs the miner was never tuned on, in Loghub-2k's layout, for a generalization check.

The eight shared Loghub sets are what the miner was tuned and rotated on; these sets come from
another place: message templates written from the documented message catalogues of systems that
are not among them (Kubernetes components, PostgreSQL, a JVM service with HikariCP and Spring,
Postfix, network devices in Cisco IOS style, an OAuth gateway in key=value style, a Node.js API,
a storage daemon). Each template's variable parts are typed slots filled with random values
(numbers, ids, hosts, paths, quoted text, free text of varying length), so the ground truth is the
template a slot was drawn into, never what a miner guessed. Frequencies follow a Zipf law, as real
event frequencies do.

    python bench/synthetic_loghub.py --out /tmp/synthetic           # writes <Name>/<Name>_2k.log_structured.csv
    python ../shared/eval/loghub_ga.py --loghub /tmp/synthetic -- logflow mine
    python ../shared/eval/loghub_ga.py --loghub /tmp/synthetic -- python bench/drain3_mine.py

Same seed, same files.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import string
from collections.abc import Callable
from pathlib import Path

# ruff: noqa: E501 (message templates are kept on one line each, as the systems write them)

WORDS = (  # noqa: SIM905 (a sentence of words reads better than a list literal)
    "alpha bravo cache checkout client cluster commit config deploy disk engine gateway index "
    "ingest ledger lease mirror node order payment pool queue quota replica report router "
    "schema session shard socket stream token upload user vault worker"
).split()
FREE = (  # noqa: SIM905
    "the connection was reset by peer while reading the response body from upstream because "
    "deadline exceeded and retry budget exhausted so request aborted after timeout waiting for lock "
    "on table invalid argument not found permission denied resource temporarily unavailable"
).split()
USERS = ("alice", "bob", "carol", "dave", "erin", "svc-backup", "svc-ci", "root", "postgres", "www-data")


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


SLOTS: dict[str, Callable[[random.Random], str]] = {
    "int": lambda r: str(r.choice((r.randint(0, 9), r.randint(10, 999), r.randint(1000, 99999)))),
    "ms": lambda r: f"{r.uniform(0.1, 5000):.3f}",
    "pct": lambda r: f"{r.uniform(0, 100):.1f}",
    "hex": lambda r: _hex(r, r.choice((8, 12, 16))),
    "uuid": lambda r: f"{_hex(r, 8)}-{_hex(r, 4)}-{_hex(r, 4)}-{_hex(r, 4)}-{_hex(r, 12)}",
    "ip": lambda r: ".".join(str(r.randint(1, 254)) for _ in range(4)),
    "port": lambda r: str(r.randint(1024, 65535)),
    "host": lambda r: f"{r.choice(WORDS)}-{r.randint(1, 40)}.{r.choice(('prod', 'eu-west-1', 'svc'))}.internal",
    "pod": lambda r: f"{r.choice(WORDS)}-{_hex(r, 9)}-{''.join(r.choice(string.ascii_lowercase) for _ in range(5))}",
    "user": lambda r: r.choice(USERS),
    "word": lambda r: r.choice(WORDS),
    "path": lambda r: "/" + "/".join(r.choice(WORDS) for _ in range(r.randint(1, 4))) + r.choice(("", ".log", ".json")),
    "url": lambda r: f"https://{r.choice(WORDS)}.example.com/{r.choice(WORDS)}/{r.randint(1, 9999)}",
    "quoted": lambda r: '"' + " ".join(r.choice(FREE) for _ in range(r.randint(1, 5))) + '"',
    "free": lambda r: " ".join(r.choice(FREE) for _ in range(r.randint(1, 7))),
    "size": lambda r: f"{r.uniform(0.1, 900):.1f}{r.choice(('KB', 'MB', 'GB'))}",
    "email": lambda r: f"{r.choice(USERS)}@{r.choice(WORDS)}.example.org",
    "version": lambda r: f"{r.randint(0, 4)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
}

SYSTEMS: dict[str, list[str]] = {
    # Kubernetes kubelet / controller messages (klog message bodies, header removed as Loghub does)
    "Kube": [
        'Successfully pulled image "{word}:{version}" in {ms}ms (including waiting)',
        'Error syncing pod {uuid} ("{pod}_{word}({uuid})"), skipping: failed to "StartContainer" for "{word}" with CrashLoopBackOff',
        "Started container {word}",
        "Killing container with id docker://{hex}:Need to kill Pod",
        "Liveness probe failed: Get http://{ip}:{port}/healthz: dial tcp {ip}:{port}: connect: connection refused",
        "Readiness probe failed: HTTP probe failed with statuscode: {int}",
        "MountVolume.SetUp succeeded for volume {quoted} (UniqueName: {quoted}) pod {quoted} (UID: {quoted})",
        "Created pod: {pod}",
        "Scaled up replica set {pod} to {int}",
        "Deleted pod: {pod}",
        "Node {host} status is now: NodeNotReady",
        "Node {host} status is now: NodeReady",
        "Evicting pod {pod} from node {host}: {free}",
        "Failed to update lease: {free}",
        "Attempting to register node {host}",
        "Successfully registered node {host}",
        "Image garbage collection succeeded, freed {size}",
        "Back-off restarting failed container {word} in pod {pod}",
        "Updated Node Allocatable limit across pods",
        "Setting pod {pod} to phase Running",
    ],
    # PostgreSQL server messages (log_line_prefix removed)
    "Postgres": [
        "duration: {ms} ms  statement: SELECT * FROM {word} WHERE id = {int}",
        "duration: {ms} ms  execute <unnamed>: UPDATE {word} SET state = $1 WHERE id = $2",
        "connection received: host={ip} port={port}",
        "connection authorized: user={user} database={word} application_name={word}",
        "disconnection: session time: 0:{int}:{int}.{int} user={user} database={word} host={ip} port={port}",
        "checkpoint starting: time",
        "checkpoint complete: wrote {int} buffers ({pct}%); 0 WAL file(s) added, {int} removed, {int} recycled; write={ms} s, sync={ms} s, total={ms} s",
        'automatic vacuum of table "{word}.public.{word}": index scans: {int}',
        'automatic analyze of table "{word}.public.{word}"',
        'relation "{word}" does not exist at character {int}',
        'duplicate key value violates unique constraint "{word}_pkey"',
        "could not receive data from client: Connection reset by peer",
        "terminating connection due to idle-in-transaction timeout",
        'password authentication failed for user "{user}"',
        "database system is ready to accept connections",
        'temporary file: path "base/pgsql_tmp/pgsql_tmp{int}.{int}", size {int}',
        "process {int} still waiting for ShareLock on transaction {int} after {ms} ms",
        "canceling statement due to statement timeout",
    ],
    # A Spring Boot service with HikariCP
    "JavaSvc": [
        "Started {word}Application in {ms} seconds (JVM running for {ms})",
        "HikariPool-{int} - Connection is not available, request timed out after {int}ms.",
        "HikariPool-{int} - Starting...",
        "HikariPool-{int} - Start completed.",
        "Completed initialization in {int} ms",
        'Exception in thread "{word}-{int}" java.lang.IllegalStateException: {free}',
        "Resolved [org.springframework.web.HttpRequestMethodNotSupportedException: Request method '{word}' not supported]",
        "Tomcat started on port(s): {port} (http) with context path ''",
        "Order {uuid} created for customer {int} total {ms} EUR",
        "Payment {uuid} declined: {free}",
        "Retrying call to {url} (attempt {int} of {int})",
        "Circuit breaker '{word}' changed state from CLOSED to OPEN",
        "Circuit breaker '{word}' changed state from OPEN to HALF_OPEN",
        "Cache miss for key {word}:{int}",
        "Scheduled task {word} finished in {int} ms",
        "GET {path} returned {int} in {int} ms",
    ],
    # Postfix (mail server) daemon messages
    "Postfix": [
        "{hex}: client={host}[{ip}]",
        "{hex}: message-id=<{uuid}@{host}>",
        "{hex}: from=<{email}>, size={int}, nrcpt={int} (queue active)",
        "{hex}: to=<{email}>, relay={host}[{ip}]:25, delay={ms}, delays={ms}/{ms}/{ms}/{ms}, dsn=2.0.0, status=sent (250 2.0.0 OK {hex})",
        "{hex}: to=<{email}>, relay=none, delay={ms}, dsn=4.4.1, status=deferred (connect to {host}[{ip}]:25: Connection timed out)",
        "{hex}: removed",
        "connect from {host}[{ip}]",
        "disconnect from {host}[{ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
        "lost connection after AUTH from unknown[{ip}]",
        "warning: unknown[{ip}]: SASL LOGIN authentication failed: authentication failure",
        "NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 <{email}>: Relay access denied",
        "statistics: max connection rate 1/60s for (smtp:{ip}) at {word}",
    ],
    # Network devices, Cisco IOS style syslog bodies
    "Netdev": [
        "%LINK-3-UPDOWN: Interface GigabitEthernet{int}/{int}/{int}, changed state to down",
        "%LINK-3-UPDOWN: Interface GigabitEthernet{int}/{int}/{int}, changed state to up",
        "%LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet{int}/{int}/{int}, changed state to down",
        "%BGP-5-ADJCHANGE: neighbor {ip} Up",
        "%BGP-5-ADJCHANGE: neighbor {ip} Down BGP Notification sent",
        "%SEC-6-IPACCESSLOGP: list {int} denied tcp {ip}({port}) -> {ip}({port}), {int} packets",
        "%SYS-5-CONFIG_I: Configured from console by {user} on vty{int} ({ip})",
        "%OSPF-5-ADJCHG: Process {int}, Nbr {ip} on Vlan{int} from LOADING to FULL, Loading Done",
        "%DUAL-5-NBRCHANGE: EIGRP-IPv4 {int}: Neighbor {ip} (Vlan{int}) is down: holding time expired",
        "%SSH-5-SSH2_USERAUTH: User '{user}' authentication for SSH2 Session from {ip} ({port}) succeeded",
        "%PLATFORM-4-ELEMENT_WARNING: Switch {int} R0/0: smand: {free}",
    ],
    # An OAuth / API gateway writing key=value lines
    "Gateway": [
        "event=token_issued client_id={hex} user={user} scope={word} ttl={int}",
        "event=token_refresh client_id={hex} user={user} ttl={int}",
        "event=login_failed user={user} ip={ip} reason={quoted}",
        "event=request method=GET path={path} status={int} latency_ms={ms} upstream={host}",
        "event=request method=POST path={path} status={int} latency_ms={ms} upstream={host}",
        "event=rate_limited client_id={hex} route={path} limit={int} window=60s",
        "event=upstream_error upstream={host} error={quoted} attempt={int}",
        "event=config_reload routes={int} plugins={int} duration_ms={ms}",
        "event=cert_expiry_warning domain={host} days_left={int}",
    ],
    # A Node.js API (pino-style messages, text only)
    "NodeApi": [
        "request completed",
        "incoming request {word} {path}",
        "Cannot read properties of undefined (reading '{word}')",
        "ECONNREFUSED {ip}:{port}",
        "Query failed after {int} ms: {free}",
        "User {int} logged in from {ip}",
        "Job {uuid} enqueued on queue {word}",
        "Job {uuid} failed: {free}",
        "Job {uuid} completed in {int} ms",
        "Cache warmed with {int} keys in {ms} s",
        "Listening on port {port}",
        "Upload of {size} to bucket {word} finished",
    ],
    # A storage daemon
    "Storage": [
        "osd.{int} reported failed by osd.{int}",
        "osd.{int} marked itself down",
        "pg {int}.{hex} is stuck undersized for {int}.{int}s, current state active+undersized",
        "Health check failed: {int} osds down (OSD_DOWN)",
        "Health check cleared: OSD_DOWN (was: {int} osds down)",
        "scrub {int}.{hex} ok",
        "deep-scrub {int}.{hex} {int} errors",
        "slow request {ms} seconds old, received at {int}: osd_op(client.{int} {int}.{hex} {word})",
        "mon.{word} calling monitor election",
        "mon.{word} is new leader, mons {word},{word},{word} in quorum (ranks 0,1,2)",
        "Compacting {path}: {size} -> {size}",
        "Journal {path} is {pct}% full",
    ],
}

_SLOT = re.compile(r"\{(\w+)\}")


def render(template: str, rng: random.Random) -> tuple[str, str]:
    """A message drawn from ``template`` and its ground-truth template (slots as ``<*>``)."""
    message = _SLOT.sub(lambda m: SLOTS[m.group(1)](rng), template)
    truth = _SLOT.sub("<*>", template)
    return message, truth


def dataset(name: str, templates: list[str], lines: int, rng: random.Random) -> list[dict[str, str]]:
    order = list(range(len(templates)))
    rng.shuffle(order)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(templates))]
    rows = []
    for number in range(1, lines + 1):
        index = rng.choices(order, weights)[0]
        message, truth = render(templates[index], rng)
        rows.append({"LineId": str(number), "Content": message, "EventId": f"E{index + 1}", "EventTemplate": truth})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for name, templates in SYSTEMS.items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        rows = dataset(name, templates, args.lines, rng)
        with (folder / f"{name}_2k.log_structured.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["LineId", "Content", "EventId", "EventTemplate"])
            writer.writeheader()
            writer.writerows(rows)
    print(f"wrote {len(SYSTEMS)} sets of {args.lines} lines to {args.out}")


if __name__ == "__main__":
    main()
