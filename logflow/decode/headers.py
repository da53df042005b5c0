"""What a record's Kafka headers say, worked out once per distinct set of headers.

Producers send the same headers with record after record (``service``, ``environment``, a
``logflow-type`` hint), so the parsed form (lowercased names and the parser hint) is memoized by the
raw header tuple. A lone ``traceparent`` header, which OpenTelemetry-instrumented producers send
fresh with every record, would never hit the memo: it skips it. What the headers say about trace
context and service is the enrich stage's to read (``logflow.enrich.trace``).
"""

from __future__ import annotations

from logflow.cache import BoundedCache
from logflow.event import NO_HEADERS, Headers, RawHeaders

HINT_HEADERS = ("logflow-type", "log-type", "log_type", "event.dataset", "type")
_LIMIT = 4096


def hint_from_headers(names: dict[str, bytes]) -> str | None:
    for name in HINT_HEADERS:
        value = names.get(name)
        if value:
            try:
                return value.decode("ascii").strip().lower() or None
            except UnicodeDecodeError:
                return None
    return None


def header_context(raw: RawHeaders) -> Headers:
    if not raw:
        return NO_HEADERS
    names = {name.lower(): value for name, value in raw}
    return Headers(names, hint_from_headers(names))


class HeaderContexts:
    """A bounded memo of ``header_context``; one per processor."""

    def __init__(self) -> None:
        self._cache: BoundedCache[RawHeaders, Headers] = BoundedCache(_LIMIT)

    def __call__(self, raw: RawHeaders) -> Headers:
        if not raw:
            return NO_HEADERS
        if len(raw) == 1 and raw[0][0] == "traceparent":  # fresh per record: not worth a memo entry
            return Headers({"traceparent": raw[0][1]}, None)
        context = self._cache.get(raw)
        if context is None:
            context = self._cache.put(raw, header_context(raw))
        return context
