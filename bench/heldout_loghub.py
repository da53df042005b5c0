"""A held-out, template-labelled test set in Loghub-2k's layout, written blind to the miner.

Eight systems that are neither Loghub datasets nor in bench/synthetic_loghub.py: Redis server,
MySQL error log, Cassandra system.log, Kafka broker server.log, Nginx error log, systemd unit
messages, HAProxy, and etcd (capnslog text). Each template is one message type as the system's
documentation / message catalogue / published log excerpts show it, with the header (timestamp,
level, pid, thread) removed as Loghub does. Variable parts are typed slots (numbers, hosts, ips,
ports, paths, ids, durations, quoted strings, free text of varying length, small enumerations
where one documented message takes one of a few values); the ground truth writes `<*>` for each
slot. Where the documentation shows two constants as two distinct messages (`is now UP` /
`is now DOWN`, `became leader` / `became follower`) they are two templates. Event frequencies
follow a Zipf law (exponent 1.0) over a per-system shuffled order.

The set was written without reading logflow/mining, so it is not shaped around the miner.

    python bench/heldout_loghub.py --out /tmp/heldout --lines 2000 --seed 7
    python ../shared/eval/loghub_ga.py --loghub /tmp/heldout -- logflow mine
    python ../shared/eval/loghub_ga.py --loghub /tmp/heldout -- python bench/drain3_mine.py

Same seed, same files. Each system draws from its own generator, seeded by (seed, name).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections.abc import Callable
from pathlib import Path

# ruff: noqa: E501 (one message template a line, as the systems write them)

NAMES = (
    "orders",
    "billing",
    "events",
    "clicks",
    "audit",
    "metrics",
    "sessions",
    "inventory",
    "payments",
    "search",
    "users",
    "ledger",
    "shipments",
    "telemetry",
    "catalog",
    "alerts",
)
HOSTWORDS = ("db", "web", "app", "cache", "api", "edge", "queue", "worker", "node", "store")
DOMAINS = ("example.com", "corp.local", "prod.acme.net", "svc.cluster.local")
ACCOUNTS = ("app", "reporting", "repl", "admin", "etl", "grafana", "backup", "readonly", "django")
FREE = (  # noqa: SIM905 (a sentence of words reads better than a list literal)
    "unexpected end of stream while waiting for data from peer the operation could not be "
    "completed because the remote side closed the socket resource busy try again later input "
    "output error disk quota exceeded broken pipe no route to host invalid checksum"
).split()
TITLE = (  # noqa: SIM905
    "Network Manager Daemon Service Container Runtime Journal Flush Periodic Cleanup Secure "
    "Shell Server Time Synchronization Backup Agent Local File Systems Metrics Exporter "
    "Message Broker Scheduler Login Record"
).split()
UNITS = (
    "nginx",
    "docker",
    "containerd",
    "postgresql",
    "sshd",
    "cron",
    "node-exporter",
    "kubelet",
    "redis-server",
    "app-worker",
    "chronyd",
    "rsyslog",
    "certbot",
    "fluent-bit",
    "haproxy",
)
BACKENDS = ("be_app", "be_api", "static", "be_ws", "auth_backend", "grpc_pool")
FRONTENDS = ("fe_http", "fe_https", "stats", "fe_grpc")


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _int(r: random.Random) -> str:
    return str(r.choice((r.randint(0, 9), r.randint(10, 999), r.randint(1000, 999999))))


def _free(r: random.Random) -> str:
    return " ".join(r.choice(FREE) for _ in range(r.randint(1, 8)))


def _title(r: random.Random) -> str:
    return " ".join(r.choice(TITLE) for _ in range(r.randint(1, 5)))


def _host(r: random.Random) -> str:
    return f"{r.choice(HOSTWORDS)}{r.randint(1, 60):02d}.{r.choice(DOMAINS)}"


def _path(r: random.Random) -> str:
    parts = [r.choice(("var", "srv", "data", "opt", "mnt")), r.choice(NAMES)]
    parts += [r.choice((*NAMES, "static", "v1", "tmp", "img")) for _ in range(r.randint(0, 3))]
    return "/" + "/".join(parts)


def _urlpath(r: random.Random) -> str:
    tail = r.choice(("", f"/{r.randint(1, 99999)}", ".php", ".js", f"?page={r.randint(1, 50)}"))
    return "/" + "/".join(r.choice((*NAMES, "api", "v2", "static", "login")) for _ in range(r.randint(1, 3))) + tail


SLOTS: dict[str, Callable[[random.Random], str]] = {
    "int": _int,
    "small": lambda r: str(r.randint(0, 12)),
    "pid": lambda r: str(r.randint(300, 4194304)),
    "port": lambda r: str(r.randint(1024, 65535)),
    "ip": lambda r: f"{r.choice((10, 172, 192))}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
    "host": _host,
    "account": lambda r: r.choice(ACCOUNTS),
    "name": lambda r: r.choice(NAMES),
    "topic": lambda r: r.choice(NAMES) + r.choice(("", "-v2", ".raw", "_dlq", "-events")),
    "path": _path,
    "url": _urlpath,
    "hex16": lambda r: _hex(r, 16),
    "hex40": lambda r: _hex(r, 40),
    "uuid": lambda r: f"{_hex(r, 8)}-{_hex(r, 4)}-{_hex(r, 4)}-{_hex(r, 4)}-{_hex(r, 12)}",
    "ts13": lambda r: str(r.randint(1600000000000, 1790000000000)),
    "off20": lambda r: f"{r.randint(0, 10**9):020d}",
    "secs": lambda r: f"{r.uniform(0, 90):.3f}",
    "gms": lambda r: r.choice((f"{r.uniform(100, 999):.6f}ms", f"{r.uniform(1, 9):.9f}s", f"{r.uniform(1, 99):.4f}ms")),
    "mib": lambda r: f"{r.uniform(0.01, 900):.3f}MiB",
    "kib": lambda r: f"{r.randint(1, 9999)}{r.choice(('KiB', 'MiB', 'GiB'))}",
    "pct": lambda r: str(r.randint(0, 100)),
    "float": lambda r: f"{r.uniform(0, 500):.3f}",
    "free": _free,
    "title": _title,
    "unit": lambda r: r.choice(UNITS) + ".service",
    "backend": lambda r: r.choice(BACKENDS),
    "frontend": lambda r: r.choice(FRONTENDS),
    "server": lambda r: f"{r.choice(('web', 'app', 'srv', 'node'))}{r.randint(1, 24)}",
    "version": lambda r: f"{r.randint(5, 8)}.{r.randint(0, 4)}.{r.randint(0, 40)}",
    "method": lambda r: r.choice(("GET", "POST", "PUT", "DELETE", "HEAD")),
    "key": lambda r: (
        f"/registry/{r.choice(('pods', 'leases', 'events', 'configmaps', 'services'))}/{r.choice(NAMES)}/{r.choice(NAMES)}-{_hex(r, 5)}"
    ),
    "hdate": lambda r: (
        f"{r.randint(1, 28):02d}/{r.choice(('Jan', 'Feb', 'Mar', 'Nov', 'Dec'))}/2026:{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}"
    ),
    "lb": lambda r: "{",
    "rb": lambda r: "}",
}
#: slots that are literal text, not variables (the ground truth keeps them as written)
LITERAL = {"lb": "{", "rb": "}"}

SYSTEMS: dict[str, list[str]] = {
    # Redis server log (redis.io persistence / replication docs and published startup/shutdown logs)
    "Redis": [
        "Server initialized",
        "Ready to accept connections tcp",
        "DB loaded from disk: {secs} seconds",
        "Background saving started by pid {pid}",
        "DB saved on disk",
        "Fork CoW for RDB: current {int} MB, peak {int} MB, average {int} MB",
        "Background saving terminated with success",
        "{int} changes in {int} seconds. Saving...",
        "Replica {ip}:{port} asks for synchronization",
        "Full resync requested by replica {ip}:{port}",
        "Starting BGSAVE for SYNC with target: disk",
        "Synchronization with replica {ip}:{port} succeeded",
        "Connection with replica {ip}:{port} lost.",
        "Partial resynchronization request from {ip}:{port} accepted. Sending {int} bytes of backlog starting from offset {int}.",
        "Connecting to MASTER {ip}:{port}",
        "MASTER <-> REPLICA sync started",
        "Master replied to PING, replication can continue...",
        "MASTER <-> REPLICA sync: Finished with success",
        "Client id={int} addr={ip}:{port} laddr={ip}:6379 fd={int} name={name} age={int} idle={int} closed for overcoming of output buffer limits.",
        "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.",
        "User requested shutdown...",
        "Saving the final RDB snapshot before exiting.",
        "Redis is now ready to exit, bye bye...",
        "WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.",
        "Background append only file rewriting started by pid {pid}",
        "Background AOF rewrite finished successfully",
        "Residual parent diff successfully flushed to the rewritten AOF ({float} MB)",
        "Error accepting a client connection: {free}",
        "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.",
        "Cluster state changed: {enum:ok|fail}",
        "Marking node {hex40} as failing (quorum reached).",
        "FAIL message received from {hex40} about {hex40}",
        "Clear FAIL state for node {hex40}: replica is reachable again.",
    ],
    # MySQL 8 error log (MySQL Server error message reference; [code] [subsystem] kept, they are message text)
    "MySQL": [
        "[MY-010055] [Server] IP address '{ip}' could not be resolved: Name or service not known",
        "[MY-010914] [Server] Aborted connection {int} to db: '{name}' user: '{account}' host: '{host}' ({enum:Got an error reading communication packets|Got timeout reading communication packets|Got an error writing communication packets}).",
        "[MY-010926] [Server] Access denied for user '{account}'@'{ip}' (using password: {enum:YES|NO})",
        "[MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '{version}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.",
        "[MY-010116] [Server] /usr/sbin/mysqld (mysqld {version}) starting as process {pid}",
        "[MY-013576] [InnoDB] InnoDB initialization has started.",
        "[MY-013577] [InnoDB] InnoDB initialization has ended.",
        "[MY-010068] [Server] CA certificate ca.pem is self signed.",
        "[MY-011810] [Server] Insecure configuration for --pid-file: Location '/var/run/mysqld' in the path is accessible to all OS users. Consider choosing a different directory.",
        "[MY-013132] [InnoDB] page_cleaner: 1000ms intended loop took {int}ms. The settings might not be optimal. (flushed={int}, during the time.)",
        "[MY-010584] [Repl] Slave I/O for channel '': error reconnecting to master 'repl@{host}:3306' - retry-time: 60 retries: {int} message: Can't connect to MySQL server on '{host}:3306' ({int}), Error_code: MY-002003",
        "[MY-010562] [Repl] Slave I/O thread for channel '': connected to master 'repl@{host}:3306',replication started in log 'binlog.{off20}' at position {int}",
        "[MY-010584] [Repl] Slave SQL for channel '': Worker {small} failed executing transaction '{uuid}:{int}' at master log binlog.{off20}, end_log_pos {int}; Could not execute Write_rows event on table {name}.{name}; Duplicate entry '{int}' for key '{name}.PRIMARY', Error_code: 1062",
        "[MY-012468] [InnoDB] Transactions deadlock detected, dumping detailed information.",
        "[MY-011825] [InnoDB] Deadlock found when trying to get lock; try restarting transaction",
        "[MY-010200] [Server] Table './{name}/{name}' is marked as crashed and should be repaired",
        "[MY-010284] [Server] Too many connections",
        "[MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld {version})  MySQL Community Server - GPL.",
        "[MY-013172] [Server] Received SHUTDOWN from user {account}. Shutting down mysqld (Version: {version}).",
        "[MY-012922] [InnoDB] Buffer pool(s) load completed at {int}",
        "[MY-011323] [Server] X Plugin ready for connections. Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock",
        "[MY-013360] [Server] Plugin sha256_password reported: ''sha256_password' is deprecated and will be removed in a future release. Please use caching_sha2_password instead'",
        "[MY-010908] [Server] Host '{ip}' is blocked because of many connection errors; unblock with 'mysqladmin flush-hosts'",
        "[MY-010045] [Server] Event Scheduler: scheduler thread started with id {int}",
    ],
    # Apache Cassandra system.log (Cassandra "Reading logs" troubleshooting docs and published logs)
    "Cassandra": [
        "Enqueuing flush of {name}: {mib} ({pct}%) on-heap, {mib} ({pct}%) off-heap",
        "Writing Memtable-{name}@{int}({kib} serialized bytes, {int} ops, {pct}%/{pct}% of on/off-heap limit)",
        "Completed flushing {path}/nb-{int}-big-Data.db ({kib}) for commitlog position CommitLogPosition(segmentId={ts13}, position={int})",
        "Compacting ({uuid}) [{path}/nb-{int}-big-Data.db:level=0, ]",
        "Compacted ({uuid}) {small} sstables to [{path}/nb-{int}-big,] to level=0.  {kib} to {kib} (~{pct}% of original) in {int}ms.  Read Throughput = {mib}/s, Write Throughput = {mib}/s, Row Throughput = ~{int}/s.  {int} total partitions merged to {int}.",
        "G1 Young Generation GC in {int}ms.  G1 Eden Space: {int} -> 0; G1 Old Gen: {int} -> {int}; G1 Survivor Space: {int} -> {int};",
        "ConcurrentMarkSweep GC in {int}ms.  CMS Old Gen: {int} -> {int}; Par Eden Space: {int} -> 0;",
        "InetAddress /{ip} is now DOWN",
        "InetAddress /{ip} is now UP",
        "Node /{ip} has restarted, now UP",
        "Node /{ip} state jump to NORMAL",
        "Handshaking version with /{ip}",
        "Started hinted handoff for host: {uuid} with IP: /{ip}",
        "Finished hinted handoff of file {uuid}-{ts13}-1.hints to endpoint /{ip}: {uuid}",
        "Maximum memory usage reached ({int} MiB), cannot allocate chunk of 1 MiB",
        "Read {int} live rows and {int} tombstone cells for query SELECT * FROM {name}.{name} WHERE id = {int} LIMIT 5000; token {int} (see tombstone_warn_threshold)",
        "Scanned over {int} tombstones during query '{free}' (last scanned row token was {int} and partion key was ({int})); query aborted",
        "Writing large partition {name}/{name}:{hex16} ({kib}) to sstable {path}/nb-{int}-big-Data.db",
        "Redistributing index summaries",
        "Initializing {name}.{name}",
        "Starting listening for CQL clients on /{ip}:9042 (unencrypted)...",
        "{int} MUTATION messages were dropped in last 5000 ms: {int} internal and {int} cross node. Mean internal dropped latency: {int} ms and Mean cross-node dropped latency: {int} ms",
        "[repair #{uuid}] new session: will sync /{ip}, /{ip} on range [({int},{int}]] for {name}.[{name}]",
        "Repair session {uuid} for range [({int},{int}]] finished",
        "Deleting sstable: {path}/nb-{int}-big",
        "Not marking nodes down due to local pause of {int}ns > 5000000000ns",
    ],
    # Apache Kafka broker server.log (Kafka operations docs, JIRA-quoted broker logs)
    "Kafka": [
        "[Log partition={topic}-{small}, dir={path}] Rolled new log segment at offset {int} in {int} ms.",
        "[Log partition={topic}-{small}, dir={path}] Found deletable segments with base offsets [{int}] due to retention time {int}ms breach",
        "[Log partition={topic}-{small}, dir={path}] Incrementing log start offset to {int}",
        "[Log partition={topic}-{small}, dir={path}] Loading producer state till offset {int} with message format version 2",
        "Deleted log {path}/{off20}.log.deleted.",
        "Deleted offset index {path}/{off20}.index.deleted.",
        "Deleted time index {path}/{off20}.timeindex.deleted.",
        "[Partition {topic}-{small} broker={small}] Shrinking ISR from {small},{small},{small} to {small},{small}. Leader: (highWatermark: {int}, endOffset: {int}). Out of sync replicas: (brokerId: {small}, endOffset: {int}).",
        "[Partition {topic}-{small} broker={small}] Expanding ISR from {small},{small} to {small},{small},{small}",
        "[Partition {topic}-{small} broker={small}] ISR updated to {small},{small},{small} and version updated to [{int}]",
        "[GroupCoordinator {small}]: Preparing to rebalance group {name} in state PreparingRebalance with old generation {int} (__consumer_offsets-{small}) (reason: {free})",
        "[GroupCoordinator {small}]: Stabilized group {name} generation {int} (__consumer_offsets-{small}) with {small} members",
        "[GroupCoordinator {small}]: Assignment received from leader consumer-{name}-{small}-{uuid} for group {name} for generation {int}. The group has {small} members, 0 of which are static.",
        "[GroupCoordinator {small}]: Member consumer-{name}-{small}-{uuid} in group {name} has failed, removing it from the group",
        "[GroupMetadataManager brokerId={small}] Removed {int} expired offsets in {int} milliseconds.",
        "[ReplicaFetcher replicaId={small}, leaderId={small}, fetcherId=0] Truncating partition {topic}-{small} with TruncationState(offset={int}, completed=true) due to leader epoch and offset EpochEndOffset(errorCode=0, partition={small}, leaderEpoch={int}, endOffset={int})",
        "[ReplicaFetcherManager on broker {small}] Removed fetcher for partitions Set({topic}-{small})",
        "[Controller id={small}] Processing automatic preferred replica leader election",
        "[KafkaServer id={small}] started",
        "[KafkaServer id={small}] shutting down",
        "[SocketServer listenerType=ZK_BROKER, nodeId={small}] Failed authentication with /{ip} (SSL handshake failed)",
        "[ProducerStateManager partition={topic}-{small}] Wrote producer snapshot at offset {int} with {int} producer ids in {int} ms.",
        "Creating topic {topic} with configuration {lb}{rb} and initial partition assignment HashMap(0 -> ArrayBuffer({small}, {small}, {small}))",
        '[Controller id={small}] New leader and ISR for partition {topic}-{small} is {lb}"leader":{small},"leader_epoch":{int},"isr":[{small},{small}]{rb}',
        "[data-plane Kafka Request Handler {small} on Broker {small}], Error when handling request: {free}",
    ],
    # Nginx error log (nginx.org docs and published error-log lines; "date [level] pid#tid: *cid" header removed)
    "Nginx": [
        'upstream timed out (110: Connection timed out) while reading response header from upstream, client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", upstream: "http://{ip}:{port}{url}", host: "{host}"',
        'upstream timed out (110: Connection timed out) while connecting to upstream, client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", upstream: "http://{ip}:{port}{url}", host: "{host}"',
        'connect() failed (111: Connection refused) while connecting to upstream, client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", upstream: "http://{ip}:{port}{url}", host: "{host}"',
        'upstream prematurely closed connection while reading response header from upstream, client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", upstream: "http://{ip}:{port}{url}", host: "{host}"',
        'recv() failed (104: Connection reset by peer) while reading response header from upstream, client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", upstream: "http://{ip}:{port}{url}", host: "{host}"',
        'no live upstreams while connecting to upstream, client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", upstream: "http://{name}{url}", host: "{host}"',
        'open() "{path}" failed (2: No such file or directory), client: {ip}, server: {host}, request: "GET {url} HTTP/1.1", host: "{host}"',
        '"{path}/index.html" is forbidden (13: Permission denied), client: {ip}, server: {host}, request: "GET {url} HTTP/1.1", host: "{host}"',
        'directory index of "{path}/" is forbidden, client: {ip}, server: {host}, request: "GET {url} HTTP/1.1", host: "{host}"',
        'client intended to send too large body: {int} bytes, client: {ip}, server: {host}, request: "POST {url} HTTP/1.1", host: "{host}"',
        'limiting requests, excess: {float} by zone "{name}", client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", host: "{host}"',
        'limiting connections by zone "{name}", client: {ip}, server: {host}, request: "{method} {url} HTTP/1.1", host: "{host}"',
        "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: {ip}, server: 0.0.0.0:443",
        'a client request body is buffered to a temporary file /var/cache/nginx/client_temp/{off20}, client: {ip}, server: {host}, request: "POST {url} HTTP/1.1", host: "{host}"',
        'an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{small}/{int}/{off20} while reading upstream, client: {ip}, server: {host}, request: "GET {url} HTTP/1.1", upstream: "http://{ip}:{port}{url}", host: "{host}"',
        "signal process started",
        "worker process {pid} exited with code 0",
        "worker process {pid} exited on signal 9",
        "{int} worker_connections are not enough",
        "client {ip} closed keepalive connection",
        'FastCGI sent in stderr: "PHP message: PHP Warning:  {free} in {path}.php on line {int}" while reading response header from upstream, client: {ip}, server: {host}, request: "GET {url} HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "{host}"',
        'host not found in upstream "{host}:{port}" in /etc/nginx/conf.d/{name}.conf:{int}',
    ],
    # systemd manager messages about units (systemd.service / journalctl docs and published journals)
    "Systemd": [
        "Started {unit} - {title}.",
        "Starting {unit} - {title}...",
        "Stopping {unit} - {title}...",
        "Stopped {unit} - {title}.",
        "Failed to start {unit} - {title}.",
        "{unit}: Main process exited, code=exited, status={small}/{enum:FAILURE|INVALIDARGUMENT|NOTIMPLEMENTED|NOPERMISSION|NOTINSTALLED}",
        "{unit}: Main process exited, code=killed, status={small}/{enum:KILL|TERM|SEGV|ABRT}",
        "{unit}: Failed with result '{enum:exit-code|signal|timeout|core-dump|start-limit-hit}'.",
        "{unit}: Scheduled restart job, restart counter is at {int}.",
        "{unit}: Start request repeated too quickly.",
        "{unit}: Deactivated successfully.",
        "{unit}: Consumed {secs}s CPU time.",
        "Reloading {unit} - {title}...",
        "Reloaded {unit} - {title}.",
        "Reached target {name}.target - {title}.",
        "Listening on {name}.socket - {title}.",
        "Started session-{int}.scope - Session {int} of User {account}.",
        "Created slice user-{int}.slice - User Slice of UID {int}.",
        "{unit}: Killing process {pid} ({name}) with signal SIGKILL.",
        "{unit}: State 'stop-sigterm' timed out. Killing.",
        "{unit}: Watchdog timeout (limit {int}s)!",
        "/etc/systemd/system/{unit}:{small}: Unknown key name '{name}' in section '{enum:Unit|Service|Install}', ignoring.",
        "{title} was skipped because of an unmet condition check (ConditionPathExists={path}).",
        "Startup finished in {secs}s (kernel) + {secs}s (userspace) = {secs}s.",
        "{unit}: Unit cannot be reloaded because it is inactive.",
        "Received SIGTERM from PID {pid} ({name}).",
        "{unit}: Found left-over process {pid} ({name}) in control group while starting unit. Ignoring.",
        "{unit}: Referenced but unset environment variable evaluates to an empty string: {name}",
    ],
    # HAProxy (HAProxy management / configuration manual: health-check and process messages, HTTP log format)
    "HAProxy": [
        'Server {backend}/{server} is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: {int}ms. {small} active and {small} backup servers left. {int} sessions active, {int} requeued, {int} remaining in queue.',
        "Server {backend}/{server} is DOWN, reason: Layer4 timeout, check duration: {int}ms. {small} active and {small} backup servers left. {int} sessions active, {int} requeued, {int} remaining in queue.",
        'Server {backend}/{server} is DOWN, reason: Layer7 wrong status, code: {enum:500|502|503|404}, info: "{free}", check duration: {int}ms. {small} active and {small} backup servers left. {int} sessions active, {int} requeued, {int} remaining in queue.',
        "Server {backend}/{server} is UP, reason: Layer7 check passed, code: 200, check duration: {int}ms. {small} active and {small} backup servers online. {int} sessions requeued, {int} total in queue.",
        "Server {backend}/{server} is UP, reason: Layer4 check passed, check duration: {int}ms. {small} active and {small} backup servers online. {int} sessions requeued, {int} total in queue.",
        "Health check for server {backend}/{server} failed, reason: Layer4 timeout, check duration: {int}ms, status: {small}/{small} UP.",
        "Health check for server {backend}/{server} succeeded, reason: Layer7 check passed, code: 200, check duration: {int}ms, status: {small}/{small} DOWN.",
        "backend {backend} has no server available!",
        "Proxy {frontend} started.",
        "Stopping frontend {frontend} in 0 ms.",
        "Proxy {backend} stopped (cumulated conns: FE: {int}, BE: {int}).",
        "Server {backend}/{server} is going DOWN for maintenance. {small} active and {small} backup servers left. {int} sessions active, {int} requeued, {int} remaining in queue.",
        "{backend}/{server} changed its IP from {ip} to {ip} by DNS cache.",
        "Loading success.",
        "Former worker (pid {pid}) exited with code 0 (Exit)",
        "Current worker (pid {pid}) exited with code {int} (Killed)",
        "Reexecuting Master process",
        "All workers exited. Exiting... (0)",
        "Connect from {ip}:{port} to {ip}:{port} ({frontend}/HTTP)",
        '{ip}:{port} [{hdate}] {frontend} {backend}/{server} {int}/{int}/{int}/{int}/{int} {enum:200|301|304|404|500|503} {int} - - ---- {int}/{int}/{int}/{int}/0 0/0 "{method} {url} HTTP/1.1"',
        "{ip}:{port} [{hdate}] {frontend}/1: SSL handshake failure",
        "Server {backend}/{server} is DOWN, changed from server-state after a reload. {small} active and {small} backup servers left. {int} sessions active, {int} requeued, {int} remaining in queue.",
    ],
    # etcd 3.x text logs (capnslog "package: message" bodies, raft state messages, documented warnings)
    "Etcd": [
        "raft.node: {hex16} elected leader {hex16} at term {int}",
        "raft.node: {hex16} lost leader {hex16} at term {int}",
        "{hex16} became leader at term {int}",
        "{hex16} became candidate at term {int}",
        "{hex16} became follower at term {int}",
        "{hex16} is starting a new election at term {int}",
        "{hex16} received MsgVoteResp from {hex16} at term {int}",
        "{hex16} [logterm: {int}, index: {int}] sent MsgVote request to {hex16} at term {int}",
        "{hex16} [term: {int}] received a MsgHeartbeat message with higher term from {hex16} [term: {int}]",
        "etcdserver: apply entries took too long [{gms} for {small} entries]",
        'etcdserver: read-only range request "key:\\"{key}\\" " with result "range_response_count:{small} size:{int}" took too long ({gms}) to execute',
        "etcdserver: failed to send out heartbeat on time (exceeded the 100ms timeout for {gms}, to {hex16})",
        "etcdserver: server is likely overloaded",
        "etcdserver: start to snapshot (applied: {int}, lastsnap: {int})",
        "etcdserver: saved snapshot at index {int}",
        "etcdserver: compacted raft log at {int}",
        "mvcc: store.index: compact {int}",
        "mvcc: finished scheduled compaction at {int} (took {gms})",
        "fileutil: purged file {path}/member/snap/{hex16}-{hex16}.snap successfully",
        'rafthttp: health check for peer {hex16} could not connect: dial tcp {ip}:2380: connect: connection refused (prober "ROUND_TRIPPER_RAFT_MESSAGE")',
        "rafthttp: lost the TCP streaming connection with peer {hex16} (stream {enum:MsgApp v2|Message} reader)",
        "rafthttp: established a TCP streaming connection with peer {hex16} (stream {enum:MsgApp v2|Message} writer)",
        "rafthttp: peer {hex16} became active",
        "rafthttp: peer {hex16} became inactive (message send to peer failed)",
        "etcdserver: published {lb}Name:{name} ClientURLs:[https://{ip}:2379]{rb} to cluster {hex16}",
        "embed: ready to serve client requests",
        "embed: serving client requests on {ip}:2379",
        'embed: rejected connection from "{ip}:{port}" (error "tls: first record does not look like a TLS handshake", ServerName "")',
        "etcdserver: timed out waiting for read index response (local node might have slow network)",
        "etcdserver: the clock difference against peer {hex16} is too high [{gms} > 1s]",
        "wal: sync duration of {gms}, expected less than 1s",
    ],
}

_SLOT = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def _fill(match: re.Match[str], rng: random.Random) -> str:
    kind, values = match.group(1), match.group(2)
    if kind == "enum":
        return str(rng.choice(values.split("|")))
    return str(SLOTS[kind](rng))


def _truth(match: re.Match[str]) -> str:
    return LITERAL.get(match.group(1), "<*>")


def render(template: str, rng: random.Random) -> tuple[str, str]:
    """A message drawn from ``template`` and its ground-truth template (each slot as ``<*>``)."""
    return _SLOT.sub(lambda m: _fill(m, rng), template), _SLOT.sub(_truth, template)


def dataset(templates: list[str], lines: int, rng: random.Random) -> list[dict[str, str]]:
    order = list(range(len(templates)))
    rng.shuffle(order)
    weights = [1 / (rank + 1) for rank in range(len(templates))]
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
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for name, templates in SYSTEMS.items():
        rng = random.Random(f"{args.seed}:{name}")
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        rows = dataset(templates, args.lines, rng)
        with (folder / f"{name}_2k.log_structured.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["LineId", "Content", "EventId", "EventTemplate"])
            writer.writeheader()
            writer.writerows(rows)
    print(f"wrote {len(SYSTEMS)} sets of {args.lines} lines to {args.out}")


if __name__ == "__main__":
    main()
