"""The online template miner: mask, look the key up, search the tree only for new shapes.

Per message the hot path is one regex substitution and two dict lookups (`Masker.keys`, then
key -> cluster). Only a new key runs the full masking (`Masker.shape`); only a new shape runs the
bucket search (`FamilyTree.best`). Both caches are bounded, and so is the number of clusters
(`MinerConfig.max_templates`, least recently used evicted first).

Ids: a template's id is the hash of its text (`template_id`). `add` returns the template as it is
after the message was learned; `add_batch` learns the whole batch first and then reports every
message with its cluster's template at the end of the batch, so one batch never mixes an old and a
new id of the same cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

from logflow.mining.cluster import Cluster, Family
from logflow.mining.config import MinerConfig
from logflow.mining.masking import Masker, coarse, tokens
from logflow.mining.template import Template
from logflow.mining.tree import FamilyTree, stretched

#: After an eviction the miner holds this share of `max_templates`, so evictions come in batches.
EVICT_TO = 0.9


class TemplateMiner:
    """Learns templates from a stream of messages; one instance per worker, not thread-safe."""

    __slots__ = ("_clusters", "_config", "_key_cache", "_masker", "_shape_cache", "_tick", "_tree")

    def __init__(self, config: MinerConfig | None = None) -> None:
        """Build the masks and empty structures once; per-message calls reuse them."""
        self._config = config or MinerConfig()
        self._masker = Masker(self._config.mask_kinds, self._config.extra_masks)
        self._tree = FamilyTree(self._config.prefix_tokens, self._config.similarity_threshold)
        self._key_cache: dict[str, Cluster] = {}
        self._shape_cache: dict[str, Cluster] = {}
        self._clusters = 0
        self._tick = 0

    @property
    def config(self) -> MinerConfig:
        """The configuration this miner runs with."""
        return self._config

    def add(self, message: str) -> Template:
        """Learn one message and return its template as it is after learning."""
        self._tick += 1
        cluster = self._cluster_for(message[: self._config.max_message_chars])
        cluster.count += 1
        return cluster.snapshot()

    def add_batch(self, messages: Sequence[str]) -> list[Template]:
        """Learn a batch and return, per message, its cluster's template at the end of the batch."""
        found = self._add_batch_clusters(messages)
        snapshots = {c: c.live().snapshot() for c in set(found)}
        return [snapshots[c] for c in found]

    def _add_batch_clusters(self, messages: Sequence[str]) -> list[Cluster]:
        """The hot loop: learn a batch and return each message's (live) cluster.

        Package-internal: `csv_output` keeps these references to report final templates.
        """
        self._tick += 1
        tick = self._tick
        cache = self._key_cache
        found: list[Cluster] = []
        limit = self._config.max_message_chars
        keys = self._masker.keys([m if len(m) <= limit else m[:limit] for m in messages])
        for k in keys:  # direct method calls, no bound-method aliases: the compiled build calls them in C
            cluster = cache.get(k)
            if cluster is None:
                cluster = self._learn(k)
            elif cluster.merged_into is not None:
                cluster = self._forward(k, cluster)
            cluster.count += 1
            cluster.last_seen = tick
            found.append(cluster)
        return found

    def match(self, message: str) -> Template | None:
        """Return the template that covers `message` without learning anything, or None."""
        k = self._masker.key(message[: self._config.max_message_chars])
        cluster = self._key_cache.get(k)
        if cluster is None:
            shape = self._masker.shape(k)
            cluster = self._shape_cache.get(shape)
            if cluster is None:
                fine = tokens(shape)
                toks = coarse(fine)
                family = self._tree.covering(toks, fine)
                cluster = None if family is None else family.clusters.get(family.key_of(toks))
        return None if cluster is None else cluster.live().snapshot()

    def templates(self) -> list[Template]:
        """Every current template, most frequent first (ties by text, so the order is stable)."""
        snaps = (c.snapshot() for f in self._tree for c in f.clusters.values())
        return sorted(snaps, key=lambda t: (-t.count, t.text))

    def __len__(self) -> int:
        """Number of templates currently held."""
        return self._clusters

    def save_state(self) -> bytes:
        """Serialise to versioned JSON bytes (see `logflow.mining.state`)."""
        from logflow.mining.state import dump_state

        return dump_state(self._config, self._tree, self._tick)

    @classmethod
    def load_state(cls, data: bytes) -> TemplateMiner:
        """Rebuild a miner from `save_state` bytes; template texts, counts and ids are kept."""
        from logflow.mining.state import load_state

        config, families, tick = load_state(data)
        miner = cls(config)
        miner._tick = tick
        for family in families:
            miner._tree.add(family)
            miner._clusters += len(family.clusters)
        return miner

    # -- internals -------------------------------------------------------------------------------

    def _cluster_for(self, message: str) -> Cluster:
        """The cluster of one message (learning it if its key is new), marked as used now."""
        k = self._masker.key(message)
        cluster = self._key_cache.get(k)
        if cluster is None:
            cluster = self._learn(k)
        elif cluster.merged_into is not None:
            cluster = self._forward(k, cluster)
        cluster.last_seen = self._tick
        return cluster

    def _forward(self, key: str, cluster: Cluster) -> Cluster:
        """Follow a merged cluster to its survivor and repoint the cache entry."""
        cluster = cluster.live()
        self._key_cache[key] = cluster
        return cluster

    def _learn(self, key: str) -> Cluster:
        """Slow path for a new key: shape, shape cache, tree search, then cache the key."""
        shape = self._masker.shape(key)
        cluster = self._shape_cache.get(shape)
        if cluster is None:
            cluster = self._place(tokens(shape))
            self._remember(self._shape_cache, shape, cluster)
        else:
            cluster = cluster.live()
        self._remember(self._key_cache, key, cluster)
        return cluster

    def _place(self, fine: tuple[str, ...]) -> Cluster:
        """Join the best family of the shape's bucket (or start one), then pick the cluster."""
        shape = coarse(fine)
        tree = self._tree
        family = tree.best(shape)
        if family is None:
            target = tree.stretch_target(shape)
            if target is None:
                family = Family(list(shape), tree.bucket_key(shape), list(fine))
            else:
                family = stretched(shape, fine, *target, tree.bucket_key(shape))
            tree.add(family)
        before = len(family.clusters)
        free = len(family.free)
        family.absorb(shape, fine, self._config.min_variable_values)
        if len(family.free) > free:  # words disagreed at a run: lines of other lengths may be this template
            tree.note_free(family)
            tree.restretch(family)
        cluster = family.cluster_for(shape)
        cluster.last_seen = self._tick
        self._clusters += len(family.clusters) - before
        if self._clusters > self._config.max_templates:
            self._evict(keep=cluster)
        return cluster

    def _evict(self, keep: Cluster) -> None:
        """Drop least recently (then least often) used clusters down to `EVICT_TO` of the cap.

        The caches are cleared because they may point at evicted clusters; they refill on the
        next messages. `keep` (the cluster being reported now) is never evicted.
        """
        target = max(1, int(self._config.max_templates * EVICT_TO))
        everyone = (c for f in self._tree for c in f.clusters.values() if c is not keep)
        victims = sorted(everyone, key=lambda c: (c.last_seen, c.count))
        for cluster in victims[: max(0, self._clusters - target)]:
            family = cluster.family
            del family.clusters[cluster.values]
            if not family.clusters:
                self._tree.remove(family)
            self._clusters -= 1
        self._key_cache.clear()
        self._shape_cache.clear()

    def _remember(self, cache: dict[str, Cluster], key: str, cluster: Cluster) -> None:
        """Insert into a bounded cache; when full, keep only the newer half (insertion order)."""
        limit = self._config.max_cache_entries
        if len(cache) >= limit:
            newer = list(cache.items())[len(cache) // 2 :]
            cache.clear()
            cache.update(newer)
        cache[key] = cluster
