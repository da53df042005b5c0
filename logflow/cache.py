"""The one bounded cache of the per-event path.

Stages remember answers that repeat for thousands of events (a header set, a time's second, a
routing decision). Each such memo is a ``BoundedCache``: a dict whose ``put`` forgets everything once
it holds ``limit`` entries. Clearing beats evicting one by one here: the working set is small and
refills in a few events, a clear is one C call, and lookups stay plain ``dict.get`` (no Python frame
per hit). An input that never repeats (unbounded label values) costs a clear every ``limit``
misses, never unbounded memory.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """``dict`` plus ``put``, which keeps the size at or below ``limit``."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("a cache needs room for at least one entry")
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` (clearing first when full); returns ``value``."""
        if len(self) >= self.limit and key not in self:
            self.clear()
        self[key] = value
        return value
