"""Miner configuration: one frozen value, validated once, shared by every miner it builds."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from logflow.config import MiningConfig
from logflow.mining.masking import PATTERNS


@dataclass(frozen=True, slots=True)
class MinerConfig:
    """Knobs of the template miner. The defaults are one generic setting, not tuned per log source."""

    similarity_threshold: float = 0.6
    """A message joins the most similar family of its bucket when the family's words repeat at
    least this share of the positions where either side holds a word (`Family.similarity`). 0.6
    is what rotation over the shared sets chooses in every fold; 0.4-0.6 differ by <= 0.002 GA."""

    min_variable_values: int = 4
    """A word position where similar messages disagree becomes `<*>` once it has shown this many
    distinct values (or any masked variable); until then each value is its own template, so
    `startup`/`shutdown` stay two events while user names, seen with many values, become `<*>`.
    2 gives Drain's behaviour (generalise at the first disagreement)."""

    prefix_tokens: int = 0
    """Leading tokens that pick a message's bucket, besides its token count (Drain's tree depth
    minus two). 0, as Brain groups by length alone: a message that starts with a digit-free
    variable (a host, a program, a user) must not start a new bucket per value; the first token
    is then an ordinary position of the family."""

    max_templates: int = 10_000
    """Memory cap: when more clusters exist, the least recently used ones are evicted (down to
    90% of the cap, so eviction is amortised). Each cluster costs roughly 1 KB."""

    max_cache_entries: int = 100_000
    """Cap of the message-key cache (key -> cluster). When full, the older half is dropped."""

    max_message_chars: int = 2_000
    """Only the first this many characters of a message are mined. Learning a new shape costs time
    quadratic in its token count, so one megabyte-long line must not stall a worker; the head of a
    message is what names its event anyway."""

    mask_kinds: tuple[str, ...] = tuple(PATTERNS)
    """Which built-in masks to apply (see `logflow.mining.masking.PATTERNS`)."""

    extra_masks: tuple[str, ...] = ()
    """Extra regular expressions; their matches become `<*>` before any built-in rule runs."""

    def __post_init__(self) -> None:
        """Reject values that cannot work, naming the field and the allowed range."""
        if not 0.0 < self.similarity_threshold <= 1.0:
            raise ValueError(f"similarity_threshold must be in (0, 1], got {self.similarity_threshold}")
        if self.min_variable_values < 2:
            raise ValueError(f"min_variable_values must be >= 2, got {self.min_variable_values}")
        if self.prefix_tokens < 0:
            raise ValueError(f"prefix_tokens must be >= 0, got {self.prefix_tokens}")
        if self.max_templates < 1:
            raise ValueError(f"max_templates must be >= 1, got {self.max_templates}")
        if self.max_message_chars < 100:
            raise ValueError(f"max_message_chars must be >= 100, got {self.max_message_chars}")
        if self.max_cache_entries < 1:
            raise ValueError(f"max_cache_entries must be >= 1, got {self.max_cache_entries}")
        unknown = [k for k in self.mask_kinds if k not in PATTERNS]
        if unknown:
            raise ValueError(f"mask_kinds has unknown kinds {unknown}; known kinds are {list(PATTERNS)}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (tuples as lists) for the state file."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MinerConfig:
        """Build a config from `to_dict` output; unknown keys are an error that names them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown miner config keys {unknown}; known keys are {sorted(known)}")
        values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
        return cls(**values)


def miner_config(section: MiningConfig) -> MinerConfig:
    """The miner's own frozen config from the validated ``[mining]`` section."""
    return MinerConfig(
        similarity_threshold=section.similarity_threshold,
        min_variable_values=section.min_variable_values,
        prefix_tokens=section.prefix_tokens,
        max_templates=section.max_templates,
        max_cache_entries=section.max_cache_entries,
        max_message_chars=section.max_message_chars,
        mask_kinds=tuple(section.mask_kinds),
        extra_masks=tuple(section.extra_masks),
    )
