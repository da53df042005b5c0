"""`logflow retention`: delete daily indices older than N days, by the date in their name.

For clusters without ILM (see ``lifecycle``). Only indices named exactly
``{prefix}-{name}-YYYY.MM.dd`` with a real calendar date are candidates; anything else under the
prefix (aliases, templates' test indices, ``{prefix}-foo``) is listed as ignored and never
touched. An index for day D holds events up to D+1 00:00 UTC, so it is deleted when D is before
``today - N days``: everything in it is then at least N days old.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch

_BATCH = 50  # names per DELETE request: explicit names (no wildcards), short URLs


def _pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(prefix)}-[a-z0-9][a-z0-9._+-]*-(\d{{4}})\.(\d{{2}})\.(\d{{2}})")


def index_day(prefix: str, name: str) -> date | None:
    """The day in ``{prefix}-{name}-YYYY.MM.dd``, or None when the name does not have that shape."""
    match = _pattern(prefix).fullmatch(name)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:  # 2026.02.31: not a date, not ours to delete
        return None


@dataclass
class RetentionPlan:
    """Which indices go, which stay, and which were not considered at all."""

    cutoff: date  # indices for days before this are deleted
    delete: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def plan_retention(prefix: str, names: Iterable[str], keep_days: int, today: date) -> RetentionPlan:
    """Pure: sort index names into delete / keep / ignored."""
    plan = RetentionPlan(cutoff=today - timedelta(days=keep_days))
    for name in sorted(set(names)):
        day = index_day(prefix, name)
        if day is None:
            plan.ignored.append(name)
        elif day < plan.cutoff:
            plan.delete.append(name)
        else:
            plan.keep.append(name)
    return plan


async def list_indices(client: AsyncElasticsearch, prefix: str) -> list[str]:
    response = await client.cat.indices(index=f"{prefix}-*", format="json", h="index")
    rows: list[dict[str, Any]] = response.body  # type: ignore[assignment]  # cat API body is a JSON list
    return [str(row["index"]) for row in rows]


async def apply_retention(
    client: AsyncElasticsearch,
    prefix: str,
    keep_days: int,
    dry_run: bool = False,
    today: date | None = None,
) -> RetentionPlan:
    """Delete (unless ``dry_run``) every daily index under ``prefix`` older than ``keep_days``."""
    today = today or datetime.now(UTC).date()
    plan = plan_retention(prefix, await list_indices(client, prefix), keep_days, today)
    if dry_run:
        return plan
    for start in range(0, len(plan.delete), _BATCH):
        batch = plan.delete[start : start + _BATCH]
        await client.indices.delete(index=",".join(batch), ignore_unavailable=True)
        plan.deleted.extend(batch)
    return plan
