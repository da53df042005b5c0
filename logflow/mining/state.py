"""Versioned JSON state for the miner: plain data, never pickle.

Format (version 1), one UTF-8 JSON object:

    {
      "version": 1,
      "config": {...MinerConfig fields...},
      "tick": 1234,
      "families": [
        {"tokens": ["Stored", "as", "<*>", "in", "<*>"],
         "display": ["Stored", "as", "<*>", "in", "rdd_<*>"],
         "closed": {"2": ["bytes", "values"]},
         "clusters": [{"values": ["bytes"], "count": 17, "last_seen": 1200}, ...]},
        ...
      ]
    }

`tokens` are what grouping compares (each masked run as one `<*>`), `display` the tokens the
template text shows (constant prefixes kept, `rdd_<*>`); a file without `display` (written before
it existed) shows `tokens`. `closed` maps a closed position to the distinct values seen there;
each cluster lists its values at the closed positions in ascending position order. `free`
(optional) lists the open positions where words disagreed: a run of them may hold any number of
words, so lines of other lengths read as the same template (see `logflow.mining.tree`). Template
ids are not stored: an id is the hash of the text, so a reloaded miner reports the same ids by
construction. Caches are not stored; they refill from the next messages.
"""

from __future__ import annotations

from typing import Any

import orjson

from logflow.mining.cluster import Cluster, Family
from logflow.mining.config import MinerConfig
from logflow.mining.tree import FamilyTree

#: The state format this code writes and reads.
STATE_VERSION = 1


class StateError(ValueError):
    """Miner state bytes that cannot be loaded: not JSON, an unknown version, or a bad field."""


def dump_state(config: MinerConfig, tree: FamilyTree, tick: int) -> bytes:
    """Serialise a miner's configuration and families (sorted, so equal miners give equal bytes)."""
    families = sorted(tree, key=lambda f: (len(f.tokens), f.tokens, sorted(f.clusters)))
    return orjson.dumps(
        {
            "version": STATE_VERSION,
            "config": config.to_dict(),
            "tick": tick,
            "families": [_dump_family(f) for f in families],
        }
    )


def _dump_family(family: Family) -> dict[str, Any]:
    """One family as plain JSON data (`free` only when it has free positions, so older states stay equal)."""
    doc: dict[str, Any] = {
        "tokens": family.tokens,
        "display": family.display,
        "closed": {str(pos): sorted(values) for pos, values in sorted(family.values.items())},
        "clusters": [
            {"values": list(c.values), "count": c.count, "last_seen": c.last_seen}
            for _, c in sorted(family.clusters.items())
        ],
    }
    if family.free:
        doc["free"] = sorted(family.free)
    return doc


def load_state(data: bytes) -> tuple[MinerConfig, list[Family], int]:
    """Parse state bytes into a config, families and the use counter; raise `StateError` if bad."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"miner state is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise StateError("miner state must be a JSON object with a 'version' key")
    version = doc.get("version")
    if version != STATE_VERSION:
        raise StateError(
            f"unsupported miner state version {version!r}; this logflow reads version {STATE_VERSION} "
            "(upgrade logflow, or start without state to re-learn the templates)"
        )
    try:
        config = MinerConfig.from_dict(_field(doc, "config", dict))
        tick = _field(doc, "tick", int)
        families = [_load_family(raw, config.prefix_tokens) for raw in _field(doc, "families", list)]
    except (ValueError, TypeError, KeyError) as exc:
        raise StateError(f"miner state version {STATE_VERSION} is malformed: {exc}") from exc
    return config, families, tick


def _load_family(raw: Any, prefix_tokens: int) -> Family:
    """Rebuild one family and its clusters, checking shapes agree with each other."""
    toks = [str(t) for t in _field(raw, "tokens", list)]
    shown = [str(t) for t in _field(raw, "display", list)] if isinstance(raw, dict) and "display" in raw else None
    if shown is not None and len(shown) != len(toks):
        raise ValueError(f"display {shown} does not have the {len(toks)} tokens of {toks}")
    family = Family(toks, (len(toks), tuple(toks[:prefix_tokens])), shown)
    for pos, values in _field(raw, "closed", dict).items():
        if not 0 <= int(pos) < len(toks) or not isinstance(values, list):
            raise ValueError(f"closed position {pos!r} is outside the template or has no value list")
        family.values[int(pos)] = {str(v) for v in values}
    family.closed = tuple(sorted(family.values))
    free = _field(raw, "free", list) if "free" in raw else []
    if not all(isinstance(p, int) and 0 <= p < len(toks) for p in free):
        raise ValueError(f"free positions {free!r} are not positions of the template")
    family.free = set(free)
    for c in _field(raw, "clusters", list):
        values = tuple(str(v) for v in _field(c, "values", list))
        if len(values) != len(family.closed):
            raise ValueError(f"cluster values {list(values)} do not match closed positions {family.closed}")
        family.clusters[values] = Cluster(family, values, _field(c, "count", int), _field(c, "last_seen", int))
    return family


def _field(doc: Any, name: str, kind: type) -> Any:
    """Fetch a required field of the expected JSON type, or raise a message naming it."""
    if not isinstance(doc, dict) or name not in doc:
        raise ValueError(f"missing field {name!r}")
    value = doc[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"field {name!r} must be {kind.__name__}, got {type(value).__name__}")
    return value
