"""`logflow retention`: delete daily indices by the date in their name, and nothing else."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from logflow.admin.retention import apply_retention, index_day, plan_retention
from logflow.cli import app
from logflow.config import Settings
from tests.conftest import Servers

TODAY = date(2026, 11, 23)


def day(days_ago: int, today: date | None = None) -> str:
    return ((today or datetime.now(UTC).date()) - timedelta(days=days_ago)).strftime("%Y.%m.%d")


class TestNames:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("logs-app-2026.11.23", date(2026, 11, 23)),
            ("logs-nginx.access-2026.01.02", date(2026, 1, 2)),
            ("logs-errors-2025.12.31", date(2025, 12, 31)),
        ],
    )
    def test_daily_index_names_give_their_day(self, name: str, expected: date) -> None:
        """`{prefix}-{dataset}-YYYY.MM.dd` yields that date."""
        assert index_day("logs", name) == expected

    @pytest.mark.parametrize(
        "name",
        [
            "logs-app",
            "logs-2026.11.23",
            "logs-app-2026.02.31",
            "logs-app-2026.11.23-restored",
            "logs-app-26.11.23",
            "other-app-2026.11.23",
            "logsx-app-2020.01.01",
            ".logs-app-2020.01.01",
        ],
    )
    def test_other_names_are_never_daily_indices(self, name: str) -> None:
        """Names without the prefix, a dataset and a real calendar date are not candidates."""
        assert index_day("logs", name) is None

    def test_plan_deletes_days_before_the_cutoff_and_keeps_the_rest(self) -> None:
        """With 30 days kept, day today-31 goes and today-30 stays; odd names are ignored."""
        names = [
            f"logs-app-{day(31, TODAY)}",
            f"logs-app-{day(30, TODAY)}",
            f"logs-errors-{day(0, TODAY)}",
            "logs-foo",
        ]
        plan = plan_retention("logs", names, 30, TODAY)
        assert plan.cutoff == TODAY - timedelta(days=30)
        assert plan.delete == [f"logs-app-{day(31, TODAY)}"]
        assert plan.keep == sorted([f"logs-app-{day(30, TODAY)}", f"logs-errors-{day(0, TODAY)}"])
        assert plan.ignored == ["logs-foo"]


async def _create(es: Any, names: list[str]) -> None:
    for name in names:
        await es.indices.create(index=name)


async def _names(es: Any, pattern: str) -> set[str]:
    rows = (await es.cat.indices(index=pattern, format="json", h="index")).body
    return {row["index"] for row in rows}


@pytest.mark.integration
class TestOnTheServer:
    async def test_retention_deletes_only_daily_indices_older_than_keep(self, es: Any, settings: Settings) -> None:
        """Old daily indices are deleted; recent ones, odd names and other prefixes stay."""
        prefix = settings.routing.index_prefix
        old = [f"{prefix}-app-{day(45)}", f"{prefix}-nginx.access-{day(31)}"]
        recent = [f"{prefix}-app-{day(30)}", f"{prefix}-errors-{day(0)}"]
        odd = [f"{prefix}-app-keep", f"{prefix}-app-2020.02.31"]
        foreign = f"{prefix}x-app-{day(400)}"
        await _create(es, [*old, *recent, *odd, foreign])
        try:
            plan = await apply_retention(es, prefix, 30)
            assert sorted(plan.deleted) == sorted(old)
            assert await _names(es, f"{prefix}-*") == {*recent, *odd}
            assert await _names(es, foreign) == {foreign}
        finally:
            await es.indices.delete(index=foreign, ignore_unavailable=True)

    async def test_dry_run_deletes_nothing(self, es: Any, settings: Settings) -> None:
        """A dry run reports what would go and leaves every index in place."""
        prefix = settings.routing.index_prefix
        names = [f"{prefix}-app-{day(60)}", f"{prefix}-app-{day(1)}"]
        await _create(es, names)
        plan = await apply_retention(es, prefix, 30, dry_run=True)
        assert plan.delete == [f"{prefix}-app-{day(60)}"]
        assert plan.deleted == []
        assert await _names(es, f"{prefix}-*") == set(names)

    async def test_command_deletes_and_dry_run_only_lists(
        self, es: Any, servers: Servers, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`logflow retention --keep 7d --dry-run` lists; without --dry-run it deletes; both exit 0."""
        prefix = settings.routing.index_prefix
        await _create(es, [f"{prefix}-app-{day(8)}", f"{prefix}-app-{day(7)}"])
        for name in list(os.environ):
            if name.startswith("LOGFLOW_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("LOGFLOW_ELASTICSEARCH_HOSTS", servers.es)
        monkeypatch.setenv("LOGFLOW_ROUTING_INDEX_PREFIX", prefix)
        runner = CliRunner()
        # The CLI runs its own event loop: call it from a worker thread, not from this test's loop.
        dry = await asyncio.to_thread(runner.invoke, app, ["retention", "--keep", "7d", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert f"would delete {prefix}-app-{day(8)}" in dry.output
        assert await _names(es, f"{prefix}-*") == {f"{prefix}-app-{day(8)}", f"{prefix}-app-{day(7)}"}
        real = await asyncio.to_thread(runner.invoke, app, ["retention", "--keep", "7d"])
        assert real.exit_code == 0, real.output
        assert f"deleted {prefix}-app-{day(8)}" in real.output
        assert await _names(es, f"{prefix}-*") == {f"{prefix}-app-{day(7)}"}

    def test_command_rejects_a_keep_that_is_not_days(self) -> None:
        """`--keep 30` (no unit) is a configuration error naming --keep."""
        result = CliRunner().invoke(app, ["retention", "--keep", "30"])
        assert result.exit_code != 0
        assert "--keep" in str(result.exception)
