"""Worker memory under a large backlog while Elasticsearch throttles: does RSS stay bounded?

1,000,000 records wait in Tansu; one `logflow run` worker consumes them against a bulk endpoint
that is slow and answers a share of bulk requests with 429 (whole request) or per-item 429s. The
worker must pause partitions and retry instead of buffering, so its peak RSS (`VmHWM` from
/proc) stays near one batch plus the bounded prefetch, whatever the backlog.

    python bench/backlog_rss.py                          # 1,000,000 records, 90 s of throttling
    python bench/backlog_rss.py --records 200000 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ack_server import _ITEM, _PRODUCT, AckServer  # noqa: E402
from e2e import env_for, settings_for, ship_corpus, vm_kb  # noqa: E402

from logflow.demo.corpus import CorpusGenerator  # noqa: E402
from logflow.demo.servers import free_port, start_tansu  # noqa: E402
from tests.support import committed_offsets  # noqa: E402

_THROTTLED_ITEM = (
    b'{"index":{"_index":"bench","_id":"x","status":429,"error":{"type":"es_rejected_execution_exception"}}}'
)


class ThrottlingServer(AckServer):
    """Acknowledges slowly; a share of bulk requests get a whole-request 429, a share per-item 429s."""

    def __init__(self, delay_s: float, reject: float, seed: int = 1) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.reject = reject
        self.rejected = 0
        self.rng = random.Random(seed)

    async def _bulk(self, request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(self.delay_s)
        roll = self.rng.random()
        if roll < self.reject:  # throttled outright
            self.rejected += 1
            return web.json_response(
                {"error": {"type": "es_rejected_execution_exception"}, "status": 429}, status=429, headers=_PRODUCT
            )
        count = body.count(b"\n") // 2
        if roll < 2 * self.reject:  # accepted, but every other item is throttled
            throttled = _THROTTLED_ITEM
            items = [_ITEM if i % 2 else throttled for i in range(count)]
            self.documents += count - count // 2 - count % 2
            payload = b'{"took":1,"errors":true,"items":[' + b",".join(items) + b"]}"
        else:
            self.documents += count
            payload = b'{"took":1,"errors":false,"items":[' + b",".join([_ITEM] * count) + b"]}"
        self.requests += 1
        return web.Response(body=payload, content_type="application/json", headers=_PRODUCT)


def serve(server: ThrottlingServer, port: int) -> None:
    async def run() -> None:
        runner = web.AppRunner(server.app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=90.0, help="how long the worker runs against the throttle")
    ap.add_argument("--delay", type=float, default=0.5, help="seconds the sink takes per bulk request")
    ap.add_argument("--reject", type=float, default=0.3, help="share of bulk requests answered 429")
    args = ap.parse_args()
    kafka = start_tansu()
    port = free_port()
    sink = ThrottlingServer(args.delay, args.reject)
    serve(sink, port)
    try:
        settings = settings_for(kafka.address, f"http://127.0.0.1:{port}", "backlog")
        steady = CorpusGenerator(seed=42).records(50_000)
        values = [(r.key, r.value, r.headers) for r in steady]
        corpus = (values * (args.records // len(values) + 1))[: args.records]
        started = time.perf_counter()
        produced = asyncio.run(ship_corpus(settings, corpus))
        print(f"backlog: {sum(produced.values()):,} records produced in {time.perf_counter() - started:.0f} s")
        worker = subprocess.Popen(
            [sys.executable, "-m", "logflow", "run"],
            env=env_for(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samples: list[int] = []
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            time.sleep(1.0)
            samples.append(vm_kb(worker.pid, "VmRSS"))
        peak = vm_kb(worker.pid, "VmHWM")
        committed = asyncio.run(committed_offsets(settings, list(produced)))
        worker.terminate()
        worker.wait(120)
    finally:
        kafka.stop()
    done = sum(v or 0 for v in committed.values())
    print(
        f"worker ran {args.seconds:.0f} s against a sink taking {args.delay} s per bulk request and answering "
        f"{args.reject:.0%} of them 429 (and {args.reject:.0%} with per-item 429s)"
    )
    print(
        f"committed {done:,} records; backlog left {sum(produced.values()) - done:,}; "
        f"whole-request 429s sent: {sink.rejected:,}"
    )
    print(
        f"worker RSS: peak {peak / 1024:,.0f} MB (VmHWM), last {samples[-1] / 1024:,.0f} MB, "
        f"median {sorted(samples)[len(samples) // 2] / 1024:,.0f} MB over {len(samples)} samples"
    )


if __name__ == "__main__":
    main()
