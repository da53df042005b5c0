"""The parse stage's metric of unparsed lines: its labels are bounded, whatever producers put in headers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.event import Record
from logflow.parse.parsers import FALLBACK_DATASET
from logflow.parse.stage import OTHER_LABEL
from logflow.worker.processor import Processor

PROCESSOR = Processor(load_settings(environ={}))
KNOWN = frozenset({p.dataset for p in PROCESSOR.parsers} | {FALLBACK_DATASET})
hint = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
    st.sampled_from(sorted(KNOWN)),
)


@settings(max_examples=200, deadline=None)
@given(hints=st.lists(hint, min_size=1, max_size=20))
def test_parse_failure_labels_are_parser_datasets_or_other(hints: list[str]) -> None:
    """A producer's `logflow-type` header names the dataset, but only a parser's dataset becomes a label."""
    records = [
        Record("logs", 0, i, b"\x01 no parser reads this \x02", headers=(("logflow-type", h.encode()),))
        for i, h in enumerate(hints)
    ]
    failures = PROCESSOR.process(records).parse_failures
    assert set(failures) <= KNOWN | {OTHER_LABEL}
    assert sum(failures.values()) <= len(records)
