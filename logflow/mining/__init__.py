"""Online log template mining: mask variables, group messages into templates with stable ids.

    miner = TemplateMiner()
    templates = miner.add_batch(messages)      # per message: Template(id, text, count)
    blob = miner.save_state()                   # versioned JSON bytes
    miner = TemplateMiner.load_state(blob)

`mine_to_csv` implements the `logflow mine` contract. See docs/mining.md.
"""

from logflow.mining.config import MinerConfig
from logflow.mining.csv_output import mine_lines, mine_to_csv
from logflow.mining.masking import WILDCARD, Masker
from logflow.mining.miner import TemplateMiner
from logflow.mining.state import STATE_VERSION, StateError
from logflow.mining.template import Template, template_id

__all__ = [
    "STATE_VERSION",
    "WILDCARD",
    "Masker",
    "MinerConfig",
    "StateError",
    "Template",
    "TemplateMiner",
    "mine_lines",
    "mine_to_csv",
    "template_id",
]
