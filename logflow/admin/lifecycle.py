"""Index lifecycle for `logflow setup`: an ILM policy where the server has ILM, nothing where it has not.

Elasticsearch (basic licence and up) has Index Lifecycle Management: ``setup`` writes the policy
``{prefix}-logflow`` (hot, then delete N days after the index was created) and names it in the
index template's ``index.lifecycle.name``, so every new daily index is managed from birth. Our daily
indices are not rolled over (the date is in the name), so the delete phase counts from creation.

Servers without ILM (OpenSearch, osmem, clusters where it is off) answer ``/_ilm/status`` with
400/404; ``setup`` then installs the template without a policy and says to schedule
``logflow retention --keep Nd``, which deletes daily indices by the date in their name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch

from logflow.admin.index_templates import install_templates
from logflow.errors import ConfigError
from logflow.sink.templates import install_logs_custom

_AGE = re.compile(r"(\d+)d")
DEFAULT_DELETE_AFTER_DAYS = 30


def parse_days(text: str, option: str = "--keep") -> int:
    """``"30d"`` -> 30. Only whole days: indices are daily."""
    match = _AGE.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) < 1:
        raise ConfigError(option, f"{text!r} is not a number of days", "write it like 30d (at least 1d)")
    return int(match.group(1))


def policy_name(prefix: str) -> str:
    return f"{prefix}-logflow"


def policy_body(delete_after_days: int) -> dict[str, Any]:
    """Hot from creation; deleted ``delete_after_days`` days after the index was created."""
    return {
        "phases": {
            "hot": {"min_age": "0ms", "actions": {"set_priority": {"priority": 100}}},
            "delete": {"min_age": f"{delete_after_days}d", "actions": {"delete": {}}},
        },
        "_meta": {
            "managed_by": "logflow",
            "description": f"logflow daily indices, deleted after {delete_after_days}d",
        },
    }


@dataclass(frozen=True)
class IlmStatus:
    """Whether the server runs ILM, and why not when it does not."""

    available: bool
    reason: str


async def ilm_status(client: AsyncElasticsearch) -> IlmStatus:
    """Ask ``GET /_ilm/status``; anything but a running ILM is "not available", with the reason."""
    try:
        response = await client.ilm.get_status()
    except ApiError as exc:
        status = exc.meta.status
        if status == 403:
            return IlmStatus(False, "not allowed to read /_ilm/status (the user needs read_ilm)")
        return IlmStatus(False, f"the server has no ILM (/_ilm/status answered {status})")
    mode = response.body.get("operation_mode") if isinstance(response.body, dict) else None
    if mode != "RUNNING":
        return IlmStatus(False, f"ILM is not running (operation_mode {mode})")
    return IlmStatus(True, "ILM is running")


@dataclass(frozen=True)
class SetupResult:
    """What `logflow setup` did on the Elasticsearch side."""

    templates: list[str]
    policy: str | None
    ilm: IlmStatus
    delete_after_days: int


async def setup_indices(
    client: AsyncElasticsearch,
    prefix: str,
    delete_after_days: int = DEFAULT_DELETE_AFTER_DAYS,
    use_ilm: bool = True,
    data_stream: bool = False,
) -> SetupResult:
    """Write the ILM policy when the server has ILM (and ``use_ilm``), then the templates naming it.

    In data-stream mode only ``logs@custom`` is written: Elastic's built-in ``logs`` template and
    its ``logs`` ILM policy manage the streams.
    """
    if data_stream:
        names = await install_logs_custom(client)
        return SetupResult(names, None, IlmStatus(False, "data streams use Elastic's built-in logs policy"), 0)
    status = await ilm_status(client) if use_ilm else IlmStatus(False, "turned off with --no-ilm")
    policy = None
    if status.available:
        policy = policy_name(prefix)
        await client.ilm.put_lifecycle(name=policy, policy=policy_body(delete_after_days))
    templates = await install_templates(client, prefix, policy)
    return SetupResult(templates, policy, status, delete_after_days)
