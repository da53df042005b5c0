"""Before the first write to an index: our template covers it, and it is an index of ours.

Without this, the first bulk write to a name no template covers creates an index with dynamic
mappings (every string a ``text`` + ``keyword`` pair, Kibana's fields wrong for the index's life),
and a name that a data-stream template claims becomes a data stream that refuses ``index`` with an
``_id`` item by item. So, once per process, the guard makes sure ``{prefix}-logflow`` exists
(installing it, without an ILM policy, when `setup` was not run: `setup` is still the way to get
one), and, once per index name, creates the index itself (``PUT <index>``, the template applies)
and reads its mapping back:

- a name that resolves to something other than that index (a data stream, an alias), or an index
  whose mapping is not ours (``ours``: our ``_meta.managed_by: logflow``), is refused with ``ForeignIndex`` before
  anything is sent: the batch is not acknowledged, so nothing is committed;
- a user not allowed to do this (403) is told so once, and the worker writes as before;
- names already checked cost nothing (a set: daily names x datasets, a few thousand a year).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from logflow.errors import DeliveryError
from logflow.sink.templates import OWNED, install_templates, template_name

log = structlog.get_logger("logflow.sink.guard")


class ForeignIndex(DeliveryError):
    """An index the worker would write to is not ours (a data stream, an alias, or another mapping)."""


def ours(mappings: dict[str, Any]) -> bool:
    """Our ``_meta``, or (an index made by a logflow before it set one) ``event.original`` stored unindexed.

    Only our template maps ``event.original`` with ``index: false``; dynamic mapping makes it ``text``.
    """
    meta = mappings.get("_meta") or {}
    if meta.get("managed_by") == OWNED["managed_by"]:
        return True
    original = mappings.get("properties", {}).get("event", {}).get("properties", {}).get("original", {})
    return original.get("type") == "keyword" and original.get("index") is False


class IndexGuard:
    """Checks each index name once; installs our template once when it is missing."""

    def __init__(self, client: AsyncElasticsearch, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.checked: set[str] = set()
        self.installed: list[str] = []  # templates this process installed (empty when `setup` had run)
        self._template_ready = False
        self._lock = asyncio.Lock()

    async def prepare(self, names: Iterable[str]) -> None:
        """Make sure every index in ``names`` is covered by our template and ours; ``ForeignIndex`` otherwise."""
        new = sorted(set(names) - self.checked)
        if not new:
            return
        async with self._lock:
            try:
                if not self._template_ready:
                    await self._ensure_template()
                for name in new:
                    if name not in self.checked:
                        await self._check(name)
                        self.checked.add(name)
            except ApiError as exc:
                if exc.meta.status != 403:
                    raise
                # A writer without manage_index_templates / create_index / view_index_metadata: say so once, and
                # write as before (Elasticsearch applies whatever template `setup` installed).
                log.warning(
                    "Not allowed to check or prepare indices before writing; run `logflow setup` with an admin user.",
                    error=str(exc)[:300],
                )
                self._template_ready = True
                self.checked.update(new)

    async def _ensure_template(self) -> None:
        try:
            await self.client.indices.get_index_template(name=template_name(self.prefix))
        except NotFoundError:
            self.installed = await install_templates(self.client, self.prefix)
        self._template_ready = True

    async def _check(self, name: str) -> None:
        try:
            await self.client.indices.create(index=name)
        except ApiError as exc:
            if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                raise ForeignIndex(
                    f"cannot create index {name!r}: {str(exc.body)[:300]} (a template that makes data streams "
                    f"claims the name? logflow writes ordinary indices; see docs/deploy.md)"
                ) from exc
        answer = (await self.client.indices.get_mapping(index=name)).body
        if name not in answer:
            raise ForeignIndex(
                f"{name!r} is a data stream or an alias (it resolves to {sorted(answer)[:3]}), not an index of ours; "
                "logflow writes `index` operations with its own ids into ordinary indices: delete it or choose "
                "another routing.index_prefix"
            )
        if not ours(answer[name].get("mappings") or {}):
            raise ForeignIndex(
                f"index {name!r} exists with a mapping that is not logflow's (no _meta.managed_by: logflow): it was "
                "made before our template covered it, or by something else; reindex or delete it, or choose another "
                "routing.index_prefix"
            )
