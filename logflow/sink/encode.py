"""The serialize stage and the `_bulk` body: documents to the bytes Elasticsearch is sent.

Documents are flat dotted ECS keys serialized once each with orjson (Elasticsearch maps dotted keys
exactly like nested objects). A document orjson cannot write (an integer past 64 bits) is rejected
with the reason. The bulk body is written by hand: one action line per document, with its own
``_index`` and the record's ``_id`` (topic-partition-offset), so a redelivered record overwrites
itself instead of doubling.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from logflow.event import Action, Batch


class Serialize:
    """The last stage: one ``Action`` for each document's primary index and one per copy."""

    def __call__(self, batch: Batch) -> None:
        actions = batch.actions
        dumps = orjson.dumps
        for event in batch.events:
            try:
                source = dumps(event.doc)
            except Exception as exc:  # e.g. an integer orjson cannot encode
                batch.fail(event, "serialize", exc)
                continue
            record = event.record
            doc_id = record.doc_id
            actions.append(Action(record, event.index, doc_id, source))
            for index in event.copies:
                actions.append(Action(record, index, doc_id, source, copy=True))


def bulk_body(actions: Sequence[Action], op: bytes = b"index") -> bytes:
    """The `_bulk` NDJSON body. Index names and ids are our own ASCII, so no JSON escaping is needed.

    ``op`` is ``index`` for our daily indices (a redelivery overwrites) and ``create`` for data streams,
    which take nothing else (a redelivery into the same backing index answers 409, counted done).
    """
    parts: list[bytes] = []
    append = parts.append
    head = b'{"' + op + b'":{"_index":"%s","_id":"%s"}}\n'
    for action in actions:
        append(head % (action.index.encode(), action.doc_id.encode()))
        append(action.source)
        append(b"\n")
    return b"".join(parts)
