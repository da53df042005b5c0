"""The demo's closing summary prints names and reasons from the logs as they are, never as markup."""

from __future__ import annotations

from hypothesis import given, settings
from rich.console import Console

from logflow.demo.run import DemoResult, _print
from logflow.worker.loop import WorkerStats
from tests.analyze.test_markup import outside


class _Worker:
    stats = WorkerStats()


@settings(max_examples=150, deadline=None)
@given(index=outside, service=outside, reason=outside, message=outside)
def test_the_summary_prints_index_names_services_reasons_and_messages_verbatim(
    index: str, service: str, reason: str, message: str
) -> None:
    summary = {
        "errors_by_service": {service: 2},
        "security_events": 0,
        "slow_requests": 0,
        "dead_letter_reasons": {reason: 1},
        "trace_story": [
            {
                "@timestamp": "t",
                "trace.id": "abc",
                "service": service,
                "dataset": "d",
                "level": "error",
                "message": message,
            }
        ],
    }
    console = Console(record=True, width=400, color_system=None)
    _print(console, DemoResult(3, {index: 2}, 1, 1.0, 1.0, summary), _Worker())  # type: ignore[arg-type]
    text = console.export_text()
    for part in (index, message):
        assert part in text
    assert repr(service) in text and repr(reason) in text  # inside the printed dicts
