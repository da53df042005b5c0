"""The mine stage: every document gets the template its message's first line belongs to.

``logflow.template.id`` is a stable hash of the template text, so every worker names the same template
the same way without coordination. Mining is per batch: the miner's caches make a batch far cheaper
than its lines one by one.
"""

from __future__ import annotations

from logflow.event import Batch
from logflow.mining.miner import TemplateMiner


def first_line(message: object) -> str:
    """What the miner learns from: the message's first line (most have one line: no split then)."""
    text = str(message)
    return text.partition("\n")[0] if "\n" in text else text


class Mine:
    def __init__(self, miner: TemplateMiner) -> None:
        self.miner = miner

    def __call__(self, batch: Batch) -> None:
        events = batch.events
        templates = self.miner.add_batch([first_line(event.doc.get("message", "")) for event in events])
        if len(templates) != len(events):
            raise AssertionError(f"the miner returned {len(templates)} templates for {len(events)} messages")
        for event, template in zip(events, templates, strict=True):
            doc = event.doc
            doc["logflow.template.id"] = template.id
            doc["logflow.template.text"] = template.text
