"""osmem's bulk ceiling against the number of fields per document, at the same bytes per document.

    python bench/osmem_fields.py [--docs 20000] [--fields 2 5 10 20 30]

Why: the issue quotes 5,500-7,500 docs/s for osmem's bulk ceiling, while the e2e bench measures
~1,000 docs/s with logflow's documents (16-34 ECS fields, ~850 bytes). This separates the two
effects. Each row is a fresh osmem, no index template, one index, 5,000-document `_bulk` bodies
built before the clock starts and posted one at a time; the last row posts logflow's own
documents (the demo corpus through the real pipeline stages).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from logflow.config import load_settings
from logflow.demo.corpus import CorpusGenerator
from logflow.demo.servers import start_osmem
from logflow.event import Record
from logflow.worker.processor import Processor

BULK = 5000
ACTION = b'{"index":{"_index":"fields"}}\n'


def synthetic(docs: int, fields: int, size: int) -> list[bytes]:
    """Documents with ``fields`` short keyword-like fields, padded to ``size`` bytes with one text field."""
    out = []
    for i in range(docs):
        doc: dict[str, object] = {f"field{j}": f"value-{i % 97}-{j}" for j in range(fields - 1)}
        doc["message"] = ""
        pad = size - len(orjson.dumps(doc))
        doc["message"] = " ".join(f"word{(i + k) % 500}" for k in range(max(pad, 0) // 9))[: max(pad, 0)]
        out.append(orjson.dumps(doc))
    return out


def logflow_documents(docs: int) -> list[bytes]:
    processor = Processor(load_settings(environ={}))
    corpus = CorpusGenerator(seed=3).records(docs)
    records = [Record("b", 0, i, r.value, r.key, r.headers) for i, r in enumerate(corpus)]
    out = processor.process(records, keep_documents=True)
    return [orjson.dumps({k: v for k, v in d.items() if k != "_index"}) for d in out.documents]


def ceiling(sources: list[bytes]) -> float:
    bodies = [b"".join(ACTION + s + b"\n" for s in sources[i : i + BULK]) for i in range(0, len(sources), BULK)]
    server = start_osmem()
    try:
        started = time.perf_counter()
        for body in bodies:
            request = urllib.request.Request(
                f"http://{server.address}/_bulk",
                data=body,
                method="POST",
                headers={"content-type": "application/x-ndjson"},
            )
            with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
                if orjson.loads(response.read()).get("errors"):
                    raise SystemExit("osmem rejected documents")
        return len(sources) / (time.perf_counter() - started)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--fields", type=int, nargs="+", default=[2, 5, 10, 20, 30])
    args = parser.parse_args()
    ours = logflow_documents(args.docs)
    size = sum(map(len, ours)) // len(ours)
    fields = sum(len(orjson.loads(s)) for s in ours) / len(ours)
    print(f"{args.docs:,} documents per row, ~{size} bytes each")
    for count in args.fields:
        print(f"{count:>4} fields (synthetic): {ceiling(synthetic(args.docs, count, size)):>7,.0f} docs/s", flush=True)
    print(f"{fields:>4.0f} fields (logflow's documents): {ceiling(ours):>7,.0f} docs/s")


if __name__ == "__main__":
    main()
