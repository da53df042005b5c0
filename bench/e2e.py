"""End-to-end speed: Kafka (Tansu) -> `logflow run --workers N` -> sink, on the mixed demo corpus.

    python bench/e2e.py --sink ack   --records 1000000 --workers 1 2
    python bench/e2e.py --sink osmem --records 200000  --workers 1 2

For each worker count: a fresh topic (4 partitions) holding the corpus, a fresh consumer group, the
worker started as the CLI starts it, and the clock stopped when every partition's committed offset
equals what was produced. Reported: events/s over the whole run (including process start and the
group join, in which the broker waits ~3 s for more members before the first assignment), from the
workers' partition assignment on (their logs say when), and from the first commit on (steady
state); worker CPU seconds (user+sys of the worker processes, from getrusage of reaped children);
the largest worker's peak RSS (VmHWM, sampled while it runs); and the CPU seconds Tansu, the sink
and this script used meanwhile (they share the machine's cores with the workers).

`--sink ack` posts to `bench/ack_server.py` (acknowledges every item, stores nothing): the
worker's own capacity. `--sink osmem` posts to osmem, and first measures osmem's own bulk ceiling
in the same run: a plain loader posting pre-built 5,000-document `_bulk` bodies of the same
documents, one request at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from logflow.admin.index_templates import install_templates  # noqa: E402
from logflow.admin.ship import ensure_topics, produce  # noqa: E402
from logflow.config import Settings, load_settings  # noqa: E402
from logflow.demo.corpus import CorpusGenerator  # noqa: E402
from logflow.demo.servers import ServerProcess, free_port, start_osmem, start_tansu  # noqa: E402
from logflow.event import Record  # noqa: E402
from logflow.sink.client import make_client  # noqa: E402
from logflow.sink.elasticsearch import BULK_PARAMS  # noqa: E402
from logflow.sink.encode import bulk_body  # noqa: E402
from logflow.source.base import TP  # noqa: E402
from logflow.worker.processor import Processor  # noqa: E402

PARTITIONS = 4


def settings_for(kafka: str, es: str, name: str) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "kafka": {
                "bootstrap_servers": [kafka],
                "topics": [f"{name}-logs"],
                "group_id": f"{name}-group",
                "dead_letter_topic": f"{name}-dlq",
                "session_timeout_ms": 6000,
            },
            "elasticsearch": {"hosts": [es]},
            "routing": {"index_prefix": name},
            "health": {"port": 0},
        },
    )


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGFLOW_")}
    env.update(
        {
            "LOGFLOW_KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers[0],
            "LOGFLOW_KAFKA_TOPICS": settings.kafka.topics[0],
            "LOGFLOW_KAFKA_GROUP_ID": settings.kafka.group_id,
            "LOGFLOW_KAFKA_DEAD_LETTER_TOPIC": settings.kafka.dead_letter_topic,
            "LOGFLOW_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "LOGFLOW_ELASTICSEARCH_HOSTS": settings.elasticsearch.hosts[0],
            "LOGFLOW_ELASTICSEARCH_REQUEST_TIMEOUT_S": "120",
            "LOGFLOW_ROUTING_INDEX_PREFIX": settings.routing.index_prefix,
            "LOGFLOW_HEALTH_PORT": "0",
            "LOGFLOW_LOG_FORMAT": "json",
            "LOGFLOW_LOG_LEVEL": "warning",
        }
    )
    return env


Corpus = list[tuple[bytes | None, bytes, tuple[tuple[str, bytes], ...]]]


async def ship_corpus(settings: Settings, values: Corpus) -> dict[TP, int]:
    topic = settings.kafka.topics[0]
    await ensure_topics(settings.kafka, {topic: PARTITIONS, settings.kafka.dead_letter_topic: 1})
    counts = await produce(settings.kafka, topic, values)
    return {(topic, p): n for p, n in counts.items()}


def osmem_ceiling(es: str, corpus: Corpus, docs: int) -> float:
    """docs/s of a plain loader posting pre-built 5,000-document bulk bodies (built before the clock starts).

    It asks for the same filtered answer the worker asks for (`filter_path`, see `logflow.sink.elasticsearch`): osmem
    answers a filtered bulk request faster, and the ceiling must be the one the worker could reach.
    """
    settings = settings_for("unused:1", es, "ceiling")
    processor = Processor(settings)
    records = [Record("ceiling", 0, i, v, k, h) for i, (k, v, h) in enumerate(corpus[:docs])]
    bodies = []
    for i in range(0, len(records), 5000):
        bodies.append(bulk_body(processor.process(records[i : i + 5000]).actions))
    asyncio.run(_templates(settings))
    started = time.perf_counter()
    sent = 0
    for body in bodies:
        query = urllib.parse.urlencode(BULK_PARAMS)
        req = urllib.request.Request(  # noqa: S310 - the loopback osmem this script started
            f"{es}/_bulk?{query}",
            data=body,
            method="POST",
            headers={"content-type": "application/x-ndjson"},
        )
        with urllib.request.urlopen(req, timeout=600) as resp:  # noqa: S310
            resp.read()
        sent += body.count(b"\n") // 2
    return sent / (time.perf_counter() - started)


async def _templates(settings: Settings) -> None:
    client = make_client(settings.elasticsearch)
    try:
        await install_templates(client, settings.routing.index_prefix)
    finally:
        await client.close()


def cpu_seconds(pid: int) -> float:
    """user+sys CPU of a running process (Linux /proc), to see what the broker and the sink used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc): `logflow run --workers N` runs its workers as children."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def vm_kb(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` figure in kB (``VmRSS``, ``VmHWM``); 0 when absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def peak_rss_mb(pids: list[int]) -> float:
    """The largest VmHWM (peak resident set) among ``pids``, in MB; processes gone meanwhile are skipped."""
    peak = 0
    for pid in pids:
        try:
            peak = max(peak, vm_kb(pid, "VmHWM"))
        except OSError:
            continue
    return peak / 1024


def assigned_at(log_path: Path) -> float | None:
    """Wall time of the last "Partitions assigned." line in the workers' JSON logs."""
    last = None
    for line in log_path.read_text(errors="replace").splitlines():
        if '"Partitions assigned."' in line:
            try:
                stamp = json.loads(line)["timestamp"]
            except (ValueError, KeyError):
                continue
            last = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    return last


async def watch(settings: Settings, produced: dict[TP, int], proc: subprocess.Popen[bytes]) -> dict[str, float]:
    """Poll the group's committed offsets with one client until they reach ``produced``.

    One consumer for the whole run (joining no group): a new client per poll cost this script CPU
    that the workers, on the same two cores, then lacked.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers, group_id=settings.kafka.group_id, enable_auto_commit=False
    )
    await consumer.start()
    partitions = [TopicPartition(*tp) for tp in produced]
    first_commit: tuple[float, int] | None = None
    peak = 0.0
    try:
        while True:
            done = {(tp.topic, tp.partition): await consumer.committed(tp) for tp in partitions}
            now = time.perf_counter()
            count = sum(v or 0 for v in done.values())
            if count and first_commit is None:
                first_commit = (now, count)
            peak = max(peak, peak_rss_mb([proc.pid, *descendants(proc.pid)]))  # --workers 1 runs in the process itself
            if done == produced:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}")
            await asyncio.sleep(0.25)
    finally:
        await consumer.stop()
    assert first_commit is not None
    return {
        "finished": now,
        "first_commit_at": first_commit[0],
        "first_commit_count": first_commit[1],
        "peak_rss_mb": peak,
    }


def run_workers(settings: Settings, produced: dict[TP, int], workers: int, others: dict[str, int]) -> dict[str, float]:
    """Run `logflow run --workers N` until caught up; ``others`` (name -> pid) get their CPU reported too."""
    others_before = {name: cpu_seconds(pid) for name, pid in others.items()}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    log_path = Path(tempfile.mkstemp(prefix="e2e-workers-", suffix=".log")[1])
    env = env_for(settings)
    env["LOGFLOW_LOG_LEVEL"] = "info"  # a handful of lines: start, assignment, stop
    started = time.perf_counter()
    wall_started = time.time()
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "logflow", "run", "--workers", str(workers)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            watched = asyncio.run(watch(settings, produced, proc))
        finally:
            proc.terminate()
            proc.wait(120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    others_cpu = {f"{name}_cpu_s": cpu_seconds(pid) - others_before[name] for name, pid in others.items()}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    total = sum(produced.values())
    finished = watched["finished"]
    steady = (total - watched["first_commit_count"]) / max(1e-9, finished - watched["first_commit_at"])
    assigned = assigned_at(log_path)
    build = re.search(r"compiled\W+(true|false)", log_path.read_text(errors="replace"), re.IGNORECASE)
    log_path.unlink()
    result = {
        "workers": workers,
        "build": "?" if build is None else "compiled" if build.group(1).lower() == "true" else "pure-python",
        "events": total,
        "seconds": finished - started,
        "events_per_s": total / (finished - started),
        "steady_events_per_s": steady,
    }
    if assigned is not None:
        since = finished - (started + assigned - wall_started)
        result["assigned_after_s"] = assigned - wall_started
        result["events_per_s_from_assignment"] = total / since
    return {
        **result,
        "cpu_s": cpu,
        "cpu_per_event_us": cpu / total * 1e6,
        "worker_peak_rss_mb": watched["peak_rss_mb"],
        "script_cpu_s": (self_after.ru_utime - self_before.ru_utime) + (self_after.ru_stime - self_before.ru_stime),
        **others_cpu,
    }


def number(value: object) -> str:
    """Thousands separators for counts and rates; anything else as it is."""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sink", choices=["ack", "osmem"], default="ack")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ceiling-docs", type=int, default=50_000)
    args = parser.parse_args()

    servers: list[ServerProcess] = []
    ack: subprocess.Popen[bytes] | None = None
    try:
        tansu = start_tansu()
        servers.append(tansu)
        t = time.perf_counter()
        # Unkeyed, so the producer spreads records evenly (Filebeat's default): keyed by the corpus's 6
        # service names, 4 partitions split very unevenly and a second worker had little to do.
        corpus: Corpus = [(None, r.value, r.headers) for r in CorpusGenerator(seed=42).records(args.records)]
        print(
            f"corpus: {len(corpus):,} records, {sum(len(v) for _, v, _ in corpus) / 1e6:.0f} MB "
            f"({time.perf_counter() - t:.0f} s to generate)",
            flush=True,
        )
        if args.sink == "osmem":
            osmem = start_osmem()
            servers.append(osmem)
            es = f"http://{osmem.address}"
            ceiling = osmem_ceiling(es, corpus, min(args.ceiling_docs, len(corpus)))
            print(f"osmem ceiling (plain loader, 5,000-doc bulks): {ceiling:,.0f} docs/s", flush=True)
        else:
            port = free_port()
            ack = subprocess.Popen([sys.executable, str(ROOT / "bench" / "ack_server.py"), "--port", str(port)])
            es = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(es, timeout=1).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
            ceiling = 0.0
        for workers in args.workers:
            name = f"e2e-{args.sink}-{workers}w-{int(time.time())}"
            settings = settings_for(tansu.address, es, name)
            if args.sink == "osmem":
                asyncio.run(_templates(settings))
            t = time.perf_counter()
            produced = asyncio.run(ship_corpus(settings, corpus))
            spread = " / ".join(f"{produced[tp]:,}" for tp in sorted(produced))
            print(
                f"shipped {sum(produced.values()):,} records in {time.perf_counter() - t:.0f} s "
                f"(per partition: {spread})",
                flush=True,
            )
            others = {"tansu": tansu.process.pid} if tansu.process else {}
            sink = ack.pid if ack is not None else servers[-1].process.pid if servers[-1].process else None
            if sink is not None:
                others[args.sink] = sink
            result = run_workers(settings, produced, workers, others)
            line = ", ".join(f"{k}={number(v)}" for k, v in result.items())
            if ceiling:
                line += f", fraction_of_osmem_ceiling={result['steady_events_per_s'] / ceiling:.0%}"
            print(line, flush=True)
    finally:
        if ack is not None:
            ack.terminate()
            ack.wait(10)
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
