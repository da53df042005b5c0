"""What a record's Kafka headers say, worked out once per distinct set of headers.

Producers send the same headers with record after record (``service``, ``environment``, a
``logflow-type`` hint), so the parsed form (lowercased names, the parser hint, trace context,
service fields, the dead-letter marker) is memoized by the raw header tuple. Headers that change
per record (a ``traceparent``) miss the cache and cost what they would without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logflow.deadletter.document import is_dead_letter
from logflow.enrich.stage import parse_traceparent, trace_from_headers

HINT_HEADERS = ("logflow-type", "log-type", "log_type", "event.dataset", "type")
FORCED = frozenset({"trace.id", "span.id"})  # the producer's trace context wins over ids found in the event
_LIMIT = 4096

RawHeaders = tuple[tuple[str, bytes], ...]


@dataclass(slots=True, init=False)
class HeaderContext:
    """Shared between the records that sent the same headers: never changed after it is made.

    Not ``frozen``, and ``__init__`` written out, for the compiled build (record.py says why): a
    traceparent header makes one per record.
    """

    headers: dict[str, bytes]
    hint: str | None
    dead_letter: bool
    forced: tuple[tuple[str, Any], ...]  # set on the document whatever it says
    defaults: tuple[tuple[str, Any], ...]  # set only where the document has no value

    def __init__(
        self,
        headers: dict[str, bytes],
        hint: str | None,
        dead_letter: bool,
        forced: tuple[tuple[str, Any], ...],
        defaults: tuple[tuple[str, Any], ...],
    ) -> None:
        self.headers = headers
        self.hint = hint
        self.dead_letter = dead_letter
        self.forced = forced
        self.defaults = defaults


NO_HEADERS = HeaderContext({}, None, False, (), ())


def hint_from_headers(headers: dict[str, bytes]) -> str | None:
    for name in HINT_HEADERS:
        value = headers.get(name)
        if value:
            try:
                return value.decode("ascii").strip().lower() or None
            except UnicodeDecodeError:
                return None
    return None


def header_context(raw: RawHeaders) -> HeaderContext:
    if not raw:
        return NO_HEADERS
    headers = {name.lower(): value for name, value in raw}
    fields: dict[str, Any] = {}
    trace_from_headers(headers, fields)
    return HeaderContext(
        headers,
        hint_from_headers(headers),
        is_dead_letter(headers),
        tuple((k, v) for k, v in fields.items() if k in FORCED),
        tuple((k, v) for k, v in fields.items() if k not in FORCED),
    )


def traceparent_context(value: bytes) -> HeaderContext:
    """``header_context`` for a lone ``traceparent`` header, in a third of the time.

    OpenTelemetry-instrumented producers send a fresh one with every record: it can never hit the memo,
    and the general path's look-ups for a dozen other headers find nothing.
    """
    try:
        ids = parse_traceparent(value.decode("ascii"))
    except UnicodeDecodeError:
        ids = None
    forced = (("trace.id", ids[0]), ("span.id", ids[1])) if ids else ()
    return HeaderContext({"traceparent": value}, None, False, forced, ())


class HeaderContexts:
    """A bounded memo of ``header_context``; one per processor."""

    def __init__(self) -> None:
        self._cache: dict[RawHeaders, HeaderContext] = {}

    def __call__(self, raw: RawHeaders) -> HeaderContext:
        if not raw:
            return NO_HEADERS
        if len(raw) == 1 and raw[0][0] == "traceparent":  # per record: not worth a memo entry
            return traceparent_context(raw[0][1])
        context = self._cache.get(raw)
        if context is None:
            if len(self._cache) >= _LIMIT:
                self._cache.clear()
            context = self._cache[raw] = header_context(raw)
        return context
