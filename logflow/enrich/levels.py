"""Level names as logs spell them, to the six ECS levels (the table is ``logflow.config.levels``).

The configuration validates routing rule levels against the same table, so it lives there; the
enrich stage imports it from here.
"""

from __future__ import annotations

from logflow.config.levels import ECS_LEVELS, ERROR_LEVELS, LEVELS, normal_level

__all__ = ["ECS_LEVELS", "ERROR_LEVELS", "LEVELS", "normal_level"]
