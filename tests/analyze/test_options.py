"""Option parsing: durations, instants, and errors that name the option."""

from __future__ import annotations

import pytest

from logflow.analyze.options import AnalysisOptions, choice, parse_duration, parse_instant
from logflow.errors import ConfigError


class TestParseDuration:
    def test_units_convert_to_seconds(self) -> None:
        """90m, 24h, 7d and 2w are read in seconds."""
        assert [parse_duration(t, "k") for t in ("90m", "24h", "7d", "2w")] == [5400, 86400, 604800, 1209600]

    def test_a_bad_duration_names_the_option(self) -> None:
        """A word that is not a duration raises ConfigError keyed by the option."""
        with pytest.raises(ConfigError, match="--baseline"):
            AnalysisOptions(baseline="a week")


class TestParseInstant:
    def test_relative_times_count_back_from_the_anchor(self) -> None:
        """24h before an anchor is the anchor minus 86,400 seconds."""
        assert parse_instant("24h", "--since", 1_000_000.0) == 1_000_000.0 - 86_400

    def test_dates_without_offset_are_utc(self) -> None:
        """A bare date means midnight UTC."""
        assert parse_instant("2026-11-22", "--since", 0.0) == 1795305600.0

    def test_garbage_is_a_config_error(self) -> None:
        """Text that is neither a date nor a duration raises ConfigError naming the option."""
        with pytest.raises(ConfigError, match="--until"):
            parse_instant("yesterday-ish", "--until", 0.0)


class TestChoice:
    def test_an_unknown_value_lists_the_allowed_ones(self) -> None:
        """A value outside the choices raises ConfigError listing them."""
        with pytest.raises(ConfigError, match="table, json, html"):
            choice("--format", "xml", ("table", "json", "html"))
