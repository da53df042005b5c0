"""Findings that describe one incident, grouped, so a report lists each incident once.

One burst of one error is a ``spike`` of its template *and* an ``error_rate_spike`` of its
service; a failing request is an ``error_cascade`` of its trace *and* a ``rare_pattern`` of the
message only it logged. Each detector is right from its angle; a reader wants one incident. Two
findings are linked when

- they cover the same events: at least half of the smaller one's listed events are the other's, or
- they belong to the same template family (TF-IDF, ``clustering``) and overlap in time: the same
  failure worded differently by two services, or
- they name the same trace and overlap in time, or
- one is a moment (a one-off message, at most one bucket long) during or next to the other, and
  the other is short (at most ``SHORT_BUCKETS`` buckets): the shutdown message logged as the burst
  of connection errors starts. A long-lived finding does not absorb every one-off in its lifetime.

An incident is a connected group of linked findings; its score and severity are its strongest
finding's, its events the union of theirs (capped like a finding's, with the full count).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from logflow.analyze.report import RANGE_CAP, Anomaly, Incident, merge_ranges, severity_rank

#: Share of the smaller finding's events the other must hold for the two to be one incident.
OVERLAP = 0.5
#: A finding at most this many buckets long is short enough to own the one-offs around it.
SHORT_BUCKETS = 12


def _events(a: Anomaly) -> set[str | int]:
    return set(a.lines or ()) | set(a.ids or ())


def _seconds(iso: str | None) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _overlap_in_time(a: Anomaly, b: Anomaly) -> bool:
    if a.start is None or b.start is None or a.end is None or b.end is None:
        return False
    return a.start <= b.end and b.start <= a.end


def _moment_near(a: Anomaly, b: Anomaly, width: float) -> bool:
    """``a`` lasts at most one bucket and falls within a bucket of short finding ``b``."""
    sa, ea, sb, eb = _seconds(a.start), _seconds(a.end), _seconds(b.start), _seconds(b.end)
    if sa is None or ea is None or sb is None or eb is None or width <= 0:
        return False
    return ea - sa <= width and eb - sb <= SHORT_BUCKETS * width and sb - width <= sa <= eb + width


def linked(
    a: Anomaly,
    b: Anomaly,
    ea: set[str | int],
    eb: set[str | int],
    use_families: bool = True,
    width: float = 0.0,
) -> bool:
    """Whether two findings describe one incident (see the module docstring)."""
    if ea and eb and len(ea & eb) >= OVERLAP * min(len(ea), len(eb)):
        return True
    if _moment_near(a, b, width) or _moment_near(b, a, width):
        return True
    if not _overlap_in_time(a, b):
        return False
    if use_families and a.family_id is not None and a.family_id == b.family_id:
        return True
    return bool(set(a.trace_ids) & set(b.trace_ids))


def group_incidents(
    anomalies: Sequence[Anomaly], cap: int = 1000, use_families: bool = True, width: float = 0.0
) -> list[Incident]:
    """Incidents from findings (highest score first); sets each finding's ``incident``.

    ``width`` is the report's bucket width in seconds (0 turns the moment rule off)."""
    events = [_events(a) for a in anomalies]
    parent = list(range(len(anomalies)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(anomalies)):
        for j in range(i + 1, len(anomalies)):
            if root(i) != root(j) and linked(anomalies[i], anomalies[j], events[i], events[j], use_families, width):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(anomalies)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        members.sort(key=lambda i: (-anomalies[i].score, anomalies[i].kind, anomalies[i].id))
        found = [anomalies[i] for i in members]
        top = found[0]
        digest = hashlib.blake2b("|".join(sorted(a.id for a in found)).encode(), digest_size=8).hexdigest()
        union: set[str | int] = set().union(*(events[i] for i in members))
        lines = sorted({n for a in found for n in a.lines or ()})
        ids = sorted({n for a in found for n in a.ids or ()})
        runs = merge_ranges([a.line_ranges for a in found if a.line_ranges], RANGE_CAP)
        complete = all(a.line_ranges is not None and len(a.line_ranges) < RANGE_CAP for a in found)
        if complete and runs:
            count = sum(b - a + 1 for a, b in runs)
        else:
            count = len(union) if union else max(a.events for a in found)
        incident = Incident(
            id=digest,
            title=top.title,
            kind=top.kind,
            kinds=list(dict.fromkeys(a.kind for a in found)),
            score=top.score,
            severity=max((a.severity for a in found), key=severity_rank),
            start=min((a.start for a in found if a.start), default=None),
            end=max((a.end for a in found if a.end), default=None),
            events=count,
            findings=[a.id for a in found],
            services=sorted({s for a in found for s in a.services}),
            families=sorted({a.family_id for a in found if a.family_id}),
            trace_ids=list(dict.fromkeys(t for a in found for t in a.trace_ids))[:5],
            lines=lines[:cap] if any(a.lines is not None for a in found) else None,
            ids=ids[:cap] if any(a.ids is not None for a in found) else None,
            line_ranges=runs if any(a.line_ranges is not None for a in found) else None,
        )
        for a in found:
            a.incident = digest
        out.append(incident)
    out.sort(key=lambda inc: (-inc.score, inc.id))
    return out
