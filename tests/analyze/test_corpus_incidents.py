"""The demo corpus with injected incidents: additive, deterministic, labelled."""

from __future__ import annotations

from datetime import timedelta

from logflow.demo.corpus import Cascade, CorpusGenerator, ErrorSpike, NewError, RareMessages


class TestIncidents:
    def test_without_incidents_the_corpus_is_unchanged(self) -> None:
        """An empty incident list yields the very records the generator always produced."""
        plain = CorpusGenerator(seed=9, poison=2).records(2000)
        assert CorpusGenerator(seed=9, poison=2, incidents=()).records(2000) == plain
        assert all(r.incident == "" for r in plain)

    def test_incidents_add_labelled_records_and_keep_the_steady_ones(self) -> None:
        """Steady records are all still there, and each incident adds records carrying its name."""
        plain = CorpusGenerator(seed=9).records(2000)
        mixed = CorpusGenerator(
            seed=9, incidents=(NewError(timedelta(hours=30), count=12), RareMessages(timedelta(hours=10)))
        ).records(2000)
        assert [r for r in mixed if not r.incident] == plain
        assert sum(r.incident == "new-error" for r in mixed) == 12
        assert sum(r.incident == "rare-messages" for r in mixed) == 3

    def test_records_stay_in_time_order(self) -> None:
        """Incident records are merged by timestamp, not appended."""
        mixed = CorpusGenerator(seed=9, incidents=(ErrorSpike(timedelta(hours=5)),)).records(2000)
        stamps = [r.timestamp for r in mixed]
        spike = [i for i, r in enumerate(mixed) if r.incident]
        assert spike[0] > 0 and spike[-1] < len(mixed) - 1
        assert stamps[spike[0] - 1] <= stamps[spike[0]]

    def test_a_cascade_is_one_trace_across_five_services(self) -> None:
        """The cascade's records share one trace id and span web, checkout, payments, orders and inventory."""
        mixed = CorpusGenerator(seed=9, incidents=(Cascade(timedelta(hours=40)),)).records(500)
        cascade = [r for r in mixed if r.incident == "cascade"]
        assert len({r.trace_id for r in cascade}) == 1
        assert {r.service for r in cascade} == {"web", "checkout", "payments", "orders", "inventory"}

    def test_incidents_are_deterministic(self) -> None:
        """Same seed and incidents, same bytes."""
        incidents = (NewError(timedelta(hours=3)), Cascade(timedelta(hours=4)))
        assert CorpusGenerator(seed=4, incidents=incidents).records(800) == CorpusGenerator(
            seed=4, incidents=incidents
        ).records(800)
