"""The template record and its stable id.

A template id is a pure function of the template text: the first 16 hex characters (64 bits) of
BLAKE2b over the UTF-8 text. Every worker, every restart and every machine therefore names the
same template the same way without coordination, and without storing any id mapping.

Consequence, by design: when a cluster generalises (one of its tokens becomes `<*>`), its text
changes and so does its id. The streaming API reports the id of the template *after* the line was
learned (`add`) or after the whole batch was learned (`add_batch`); the batch CSV (`mine_to_csv`)
learns every line first and then reports each line's final template, so its ids are final.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

#: Hex characters kept from the digest: 64 bits, so collisions need ~4 billion templates.
ID_HEX_CHARS = 16


def template_id(text: str) -> str:
    """Return the stable id of a template text: blake2b(text), first 16 hex characters."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=ID_HEX_CHARS // 2).hexdigest()


@dataclass(frozen=True, slots=True)
class Template:
    """A mined template as reported to callers: a value, safe to keep and share."""

    id: str
    """Stable hash of `text` (see `template_id`)."""
    text: str
    """The template: tokens separated by single spaces, `<*>` for each variable part."""
    count: int
    """How many messages this template's cluster has absorbed so far."""
