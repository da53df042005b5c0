"""Tests for logflow.mining.state: versioned JSON state and its round trip."""

from __future__ import annotations

import orjson
import pytest

from logflow.mining import STATE_VERSION, MinerConfig, StateError, TemplateMiner

LINES = [
    "cupsd startup succeeded",
    "cupsd shutdown succeeded",
    "Invalid user alice from 10.0.0.1",
    "Invalid user bob from 10.0.0.2",
    "Received block blk_1 of size 5 from /10.0.0.3",
]


def trained(config: MinerConfig | None = None) -> TemplateMiner:
    """A miner that has learned `LINES`."""
    miner = TemplateMiner(config)
    miner.add_batch(LINES)
    return miner


class TestSaveState:
    """`save_state` writes plain, versioned, deterministic JSON."""

    def test_state_is_json_with_a_version_key(self) -> None:
        """The bytes parse as JSON (never pickle) and carry the format version."""
        doc = orjson.loads(trained().save_state())
        assert doc["version"] == STATE_VERSION
        assert {"config", "tick", "families"} <= set(doc)

    def test_equal_miners_save_equal_bytes(self) -> None:
        """Serialisation is sorted, so the same history gives the same bytes."""
        assert trained().save_state() == trained().save_state()


class TestLoadState:
    """`load_state` restores templates, ids, counts and configuration."""

    def test_round_trip_keeps_ids_texts_and_counts(self) -> None:
        """A reloaded miner lists exactly the same templates."""
        miner = trained()
        assert TemplateMiner.load_state(miner.save_state()).templates() == miner.templates()

    def test_a_state_without_display_tokens_loads_and_shows_the_coarse_ones(self) -> None:
        """A file written before templates kept constant prefixes still loads, one token per position."""
        doc = orjson.loads(trained().save_state())
        for family in doc["families"]:
            del family["display"]
        texts = {t.text for t in TemplateMiner.load_state(orjson.dumps(doc)).templates()}
        assert "Received block <*> of size <*> from <*>" in texts
        assert "Received block blk_<*> of size <*> from /<*>" in {t.text for t in trained().templates()}

    def test_display_tokens_of_another_length_are_a_clear_error(self) -> None:
        """A display list that does not align with the tokens names both."""
        doc = orjson.loads(trained().save_state())
        doc["families"][0]["display"] = ["x"]
        with pytest.raises(StateError, match="display"):
            TemplateMiner.load_state(orjson.dumps(doc))

    def test_round_trip_keeps_the_configuration(self) -> None:
        """Non-default settings survive a restart."""
        config = MinerConfig(max_templates=77, min_variable_values=3, extra_masks=(r"sess-\w+",))
        assert TemplateMiner.load_state(trained(config).save_state()).config == config

    def test_a_reloaded_miner_learns_like_the_original(self) -> None:
        """After a restart, new lines get the same ids as in a miner that never stopped."""
        more = [
            "Invalid user carol from 10.0.0.9",
            "Invalid user dave from 10.0.0.8",
            "cupsd startup succeeded",
        ]
        original = trained()
        reloaded = TemplateMiner.load_state(original.save_state())
        assert [t.id for t in reloaded.add_batch(more)] == [t.id for t in original.add_batch(more)]
        assert reloaded.save_state() == original.save_state()

    def test_an_unknown_version_is_a_clear_error(self) -> None:
        """A state from a future format names the version found and the one supported."""
        doc = orjson.loads(trained().save_state())
        doc["version"] = 99
        with pytest.raises(StateError, match=r"unsupported miner state version 99; this logflow reads version 1"):
            TemplateMiner.load_state(orjson.dumps(doc))

    def test_a_missing_version_is_a_clear_error(self) -> None:
        """A JSON object without a version is refused."""
        with pytest.raises(StateError, match="unsupported miner state version None"):
            TemplateMiner.load_state(b"{}")

    def test_bytes_that_are_not_json_are_refused(self) -> None:
        """Garbage (or a pickle) is rejected as not JSON."""
        with pytest.raises(StateError, match="not valid JSON"):
            TemplateMiner.load_state(b"\x80\x04\x95 pickle")

    def test_a_malformed_field_names_the_field(self) -> None:
        """A wrong type in a required field is reported with the field name."""
        doc = orjson.loads(trained().save_state())
        doc["tick"] = "soon"
        with pytest.raises(StateError, match="'tick' must be int"):
            TemplateMiner.load_state(orjson.dumps(doc))

    def test_an_unknown_config_key_is_refused(self) -> None:
        """Config keys this version does not know are errors, not silently ignored."""
        doc = orjson.loads(trained().save_state())
        doc["config"]["depth"] = 4
        with pytest.raises(StateError, match="unknown miner config keys"):
            TemplateMiner.load_state(orjson.dumps(doc))
