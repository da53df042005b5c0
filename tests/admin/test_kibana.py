"""The shipped Kibana saved objects, and the import request `logflow setup --kibana` sends."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import fnmatch
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version
from typer.testing import CliRunner

from logflow.admin.index_templates import FIELDS
from logflow.admin.kibana import ASSET, load_objects, to_ndjson
from logflow.analyze.store import analysis_index
from logflow.cli import app
from logflow.config import RoutingConfig
from logflow.route.router import Router
from tests.conftest import Servers

LOG_FIELDS = set(FIELDS) | {
    "logflow.template.text.keyword",
    "url.original.keyword",
    "user_agent.original.keyword",
}


# The analysis index is designed elsewhere; these are the names the dashboard panels rely on.
def _analysis_fields() -> set[str]:
    """The fields the analyzer really writes to the analysis index (so the panels cannot drift)."""
    import asyncio
    import tempfile

    from logflow.analyze import AnalysisOptions, analyze_files
    from logflow.analyze.store import anomaly_document, pattern_document
    from logflow.config import load_settings
    from logflow.demo.corpus import CorpusGenerator, NewError

    corpus = CorpusGenerator(seed=3, incidents=(NewError(at=timedelta(hours=30)),)).records(3_000)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.log"
        path.write_bytes(b"\n".join(r.value.replace(b"\n", b" ") for r in corpus if r.value.strip()))
        report = asyncio.run(analyze_files([path], load_settings(environ={}), AnalysisOptions(baseline="16h")))
    docs = [pattern_document(p, report) for p in report.patterns] + [
        anomaly_document(a, report) for a in report.anomalies
    ]
    assert report.patterns and report.anomalies, "the sample analysis must produce both kinds of finding"
    return {key for doc in docs for key in doc} | {"analysis.title.keyword"}


ANALYSIS_FIELDS = _analysis_fields()
FIELDS_BY_VIEW = {"logflow-logs": LOG_FIELDS, "logflow-analysis": ANALYSIS_FIELDS}
REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
#: What Kibana 8.8+ exports for these types, and what the shipped attributes are written against.
TYPE_MIGRATION_VERSIONS = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "visualization": "8.0.0",
    "lens": "8.9.0",
    "dashboard": "8.7.0",
}


def kibana_matches(title: str, index: str) -> bool:
    """Kibana's data view semantics: comma-separated patterns, `-pattern` excludes."""
    parts = title.split(",")
    included = any(fnmatch.fnmatchcase(index, p) for p in parts if not p.startswith("-"))
    return included and not any(fnmatch.fnmatchcase(index, p[1:]) for p in parts if p.startswith("-"))


def lens_columns(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    return {cid: col for layer in layers.values() for cid, col in layer["columns"].items()}


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return load_objects()


def by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == kind]


def search_source(obj: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    return source


def view_of(obj: dict[str, Any]) -> str:
    refs = {r["name"]: r["id"] for r in obj["references"]}
    return str(refs[search_source(obj)["indexRefName"]])


_TERM = re.compile(r"(?P<field>[@\w.]+)\s*(?P<op>:|>=|<=|>|<)\s*(?P<value>\([^)]*\)|\"[^\"]*\"|[^\s()]+)")
_WORDS = re.compile(r"\b(and|or|not)\b", re.IGNORECASE)


def kql_fields(query: str) -> list[str]:
    """Fields of a KQL-ish query; fails unless it is only `field op value` terms joined by and/or/not."""
    assert query.strip(), "empty query"
    terms = list(_TERM.finditer(query))
    rest = _TERM.sub(" ", query)
    rest = _WORDS.sub(" ", rest).replace("(", " ").replace(")", " ")
    assert not rest.strip(), f"unparsed text {rest.strip()!r} in {query!r}"
    assert query.count("(") == query.count(")"), query
    return [m.group("field") for m in terms]


class TestFile:
    def test_every_line_is_a_saved_object_with_type_id_attributes_and_references(self) -> None:
        """Each NDJSON line parses to an object with the keys Kibana's import needs."""
        lines = [line for line in ASSET.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(lines) >= 10
        for line in lines:
            obj = json.loads(line)
            assert {"type", "id", "attributes", "references"} <= set(obj)
            assert obj["type"] in ("index-pattern", "search", "visualization", "lens", "dashboard")
            assert obj["attributes"]["title"]

    def test_every_object_carries_the_migration_versions_kibana_8_and_9_import_by(
        self, objects: list[dict[str, Any]]
    ) -> None:
        """coreMigrationVersion 8.8.0 and a typeMigrationVersion per type, none newer than Kibana 8.9 knows.

        Kibana runs the migrations after typeMigrationVersion on import: a version too old re-runs
        migrations on a current shape, one newer than the server is refused.
        """
        for obj in objects:
            assert obj["coreMigrationVersion"] == "8.8.0", obj["id"]
            assert obj["typeMigrationVersion"] == TYPE_MIGRATION_VERSIONS[obj["type"]], obj["id"]
            assert Version(obj["typeMigrationVersion"]) <= Version("8.9.0")
            assert "migrationVersion" not in obj  # the pre-8.8 form, which Kibana 9 no longer writes

    def test_ids_are_unique(self, objects: list[dict[str, Any]]) -> None:
        """No two objects share an id."""
        ids = [o["id"] for o in objects]
        assert len(ids) == len(set(ids))

    def test_every_reference_resolves_to_an_object_in_the_file(self, objects: list[dict[str, Any]]) -> None:
        """References name an object of the right type that the file itself contains."""
        known = {(o["type"], o["id"]) for o in objects}
        for obj in objects:
            for ref in obj["references"]:
                assert (ref["type"], ref["id"]) in known, (obj["id"], ref)

    def test_data_views_cover_the_log_indices_and_the_analysis_index_by_timestamp(
        self, objects: list[dict[str, Any]]
    ) -> None:
        """`logflow-*` (without the analysis index) and `logflow-analysis-*`, both on @timestamp."""
        views = {o["id"]: o["attributes"] for o in by_type(objects, "index-pattern")}
        assert views["logflow-logs"]["title"] == "logflow-*,-logflow-analysis-*"
        assert views["logflow-analysis"]["title"] == "logflow-analysis-*"
        assert all(v["timeFieldName"] == "@timestamp" for v in views.values())

    @settings(max_examples=100, deadline=None)
    @given(
        dataset=st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True),
        day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        prefix=st.sampled_from(["logflow", "acme", "logs-staging"]),
    )
    def test_each_data_view_matches_exactly_the_indices_written_for_it(
        self, dataset: str, day: date, prefix: str
    ) -> None:
        """The router's daily index is in the logs view only; the analyzer's index in the analysis view only."""
        views = {o["id"]: o["attributes"]["title"] for o in load_objects(prefix) if o["type"] == "index-pattern"}
        router = Router(prefix, RoutingConfig())
        stamp = f"{day.isoformat()}T12:00:00.000Z"
        logs_index, _ = router.route({"@timestamp": stamp, "event.dataset": dataset, "log.level": "info"})
        findings_index = analysis_index(prefix, stamp)
        if dataset != "analysis" and not dataset.startswith("analysis-"):
            assert kibana_matches(views["logflow-logs"], logs_index), (views, logs_index)
            assert not kibana_matches(views["logflow-analysis"], logs_index)
        assert kibana_matches(views["logflow-analysis"], findings_index)
        assert not kibana_matches(views["logflow-logs"], findings_index)

    def test_event_duration_is_shown_as_a_duration_from_nanoseconds(self, objects: list[dict[str, Any]]) -> None:
        """The logs data view formats event.duration (ECS nanoseconds) as seconds."""
        view = next(o for o in objects if o["id"] == "logflow-logs")
        formats = json.loads(view["attributes"]["fieldFormatMap"])
        assert formats["event.duration"]["params"]["inputFormat"] == "nanoseconds"


class TestSavedSearches:
    def test_every_saved_search_query_is_kql_on_existing_fields(self, objects: list[dict[str, Any]]) -> None:
        """Queries are non-empty `field:value` KQL; fields, columns and sort keys exist in the mappings."""
        for obj in by_type(objects, "search"):
            source = search_source(obj)
            assert source["query"]["language"] == "kuery"
            fields = FIELDS_BY_VIEW[view_of(obj)]
            for name in kql_fields(source["query"]["query"]):
                assert name in fields, (obj["id"], name)
            for column in obj["attributes"]["columns"]:
                assert column in fields, (obj["id"], column)
            for key, direction in obj["attributes"]["sort"]:
                assert key in fields
                assert direction in ("asc", "desc")

    def test_searches_answer_the_seed_deployments_questions(self, objects: list[dict[str, Any]]) -> None:
        """Errors, slow requests, failed logins, unauthorized access, analysis/parse failures, DLQ."""
        queries = {o["id"]: search_source(o)["query"]["query"] for o in by_type(objects, "search")}
        assert "log.level:(error or fatal)" in queries["logflow-errors"]
        assert queries["logflow-slow-requests"] == "event.duration >= 5000000000"
        assert "event.action:login" in queries["logflow-failed-logins"]
        assert "event.outcome:failure" in queries["logflow-failed-logins"]
        assert "event.action:access" in queries["logflow-unauthorized-access"]
        assert "log.logger" in queries["logflow-analysis-failures"]
        assert queries["logflow-parse-failures"] == "tags:parse_failure"
        assert queries["logflow-dead-letters"] == "event.dataset:deadletter"

    def test_error_search_opens_on_the_last_hour_and_slow_requests_sort_slowest_first(
        self, objects: list[dict[str, Any]]
    ) -> None:
        """The errors search restores `now-1h`; slow requests sort by event.duration descending."""
        searches = {o["id"]: o["attributes"] for o in by_type(objects, "search")}
        assert searches["logflow-errors"]["timeRestore"] is True
        assert searches["logflow-errors"]["timeRange"]["from"] == "now-1h"
        assert searches["logflow-slow-requests"]["sort"] == [["event.duration", "desc"]]


class TestVisualizationsAndDashboard:
    def test_visualizations_aggregate_existing_fields_of_their_data_view(self, objects: list[dict[str, Any]]) -> None:
        """Every aggregation field and filter query names a field of the visualization's data view."""
        for obj in by_type(objects, "visualization"):
            fields = FIELDS_BY_VIEW[view_of(obj)]
            state = json.loads(obj["attributes"]["visState"])
            assert state["title"] == obj["attributes"]["title"]
            for agg in state["aggs"]:
                if "field" in agg["params"]:
                    assert agg["params"]["field"] in fields, (obj["id"], agg["params"]["field"])
            query = search_source(obj)["query"]["query"]
            for name in kql_fields(query) if query else []:
                assert name in fields, (obj["id"], name)

    def test_dashboard_references_only_objects_in_the_file(self, objects: list[dict[str, Any]]) -> None:
        """Each panel's `panelIndex:panelRefName` is a reference of the panel's type to a shipped object."""
        dashboard = next(o for o in objects if o["type"] == "dashboard")
        panels = json.loads(dashboard["attributes"]["panelsJSON"])
        refs = {r["name"]: (r["type"], r["id"]) for r in dashboard["references"]}
        known = {(o["type"], o["id"]) for o in objects}
        assert {f"{p['panelIndex']}:{p['panelRefName']}" for p in panels} == set(refs)
        for panel in panels:
            assert refs[f"{panel['panelIndex']}:{panel['panelRefName']}"][0] == panel["type"]
        assert set(refs.values()) <= known
        assert len({p["panelIndex"] for p in panels}) == len(panels)

    def test_the_main_dashboard_is_built_from_lens_and_saved_searches(self, objects: list[dict[str, Any]]) -> None:
        """No aggregation-based visualization on "logflow: overview": every chart and table is Lens."""
        dashboard = next(o for o in objects if o["type"] == "dashboard")
        kinds = [p["type"] for p in json.loads(dashboard["attributes"]["panelsJSON"])]
        assert set(kinds) == {"lens", "search"}
        assert kinds.count("lens") >= 6

    def test_dashboard_shows_what_the_issue_asks_for(self, objects: list[dict[str, Any]]) -> None:
        """Events by dataset, errors by service, top templates, 5-minute error rate, patterns, anomalies."""
        dashboard = next(o for o in objects if o["type"] == "dashboard")
        panels = {r["id"] for r in dashboard["references"]}
        fields_shown = set()
        for obj in objects:
            if obj["id"] in panels and obj["type"] == "lens":
                fields_shown |= {c.get("sourceField") for c in lens_columns(obj).values()}
        assert {
            "event.dataset",
            "service.name",
            "logflow.template.id",
            "analysis.title",
            "analysis.score",
        } <= fields_shown
        rate = next(
            p
            for p in json.loads(dashboard["attributes"]["panelsJSON"])
            if dict((r["name"], r["id"]) for r in dashboard["references"])[f"{p['panelIndex']}:{p['panelRefName']}"]
            == "logflow-lens-error-rate"
        )
        assert rate["embeddableConfig"]["timeRange"] == {"from": "now-5m", "to": "now"}

    def test_another_prefix_moves_only_the_data_view_patterns(self) -> None:
        """load_objects("acme") rewrites index patterns to acme-* and leaves everything else alone."""
        shipped, moved = load_objects(), load_objects("acme")
        views = {o["id"]: o["attributes"]["title"] for o in moved if o["type"] == "index-pattern"}
        assert views == {"logflow-logs": "acme-*,-acme-analysis-*", "logflow-analysis": "acme-analysis-*"}
        assert [o for o in shipped if o["type"] != "index-pattern"] == [
            o for o in moved if o["type"] != "index-pattern"
        ]


class TestLens:
    def test_every_layer_has_a_data_view_reference_in_the_file(self, objects: list[dict[str, Any]]) -> None:
        """Each formBased layer `L` has the reference `indexpattern-datasource-layer-L` to a shipped data view."""
        views = {o["id"] for o in by_type(objects, "index-pattern")}
        for obj in by_type(objects, "lens"):
            layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            refs = {r["name"]: r for r in obj["references"]}
            for layer in layers:
                ref = refs[f"indexpattern-datasource-layer-{layer}"]
                assert ref["type"] == "index-pattern" and ref["id"] in views, obj["id"]

    def test_columns_use_fields_of_their_data_view_and_accessors_name_columns(
        self, objects: list[dict[str, Any]]
    ) -> None:
        """sourceField, the KQL query, terms ordering and every chart or table accessor point at real things."""
        for obj in by_type(objects, "lens"):
            state = obj["attributes"]["state"]
            view = obj["references"][0]["id"]
            fields = FIELDS_BY_VIEW[view] | {"@timestamp", "___records___"}
            (layer,) = state["datasourceStates"]["formBased"]["layers"].values()
            columns = layer["columns"]
            assert sorted(layer["columnOrder"]) == sorted(columns), obj["id"]
            for column in columns.values():
                assert column["sourceField"] in fields, (obj["id"], column["sourceField"])
                if column["operationType"] == "terms":
                    assert column["params"]["orderBy"]["columnId"] in columns
            query = state["query"]
            assert query["language"] == "kuery"
            for name in kql_fields(query["query"]) if query["query"] else []:
                assert name in fields, (obj["id"], name)
            vis = state["visualization"]
            if obj["attributes"]["visualizationType"] == "lnsXY":
                for xy_layer in vis["layers"]:
                    used = [xy_layer["xAccessor"], *xy_layer["accessors"], xy_layer.get("splitAccessor")]
                    assert {u for u in used if u} <= set(columns), obj["id"]
            else:
                assert obj["attributes"]["visualizationType"] == "lnsDatatable"
                assert {c["columnId"] for c in vis["columns"]} == set(columns), obj["id"]


@dataclass
class Seen:
    """What the stub Kibana received."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=lambda: {"success": True, "successCount": 18, "successResults": []})
    status: int = 200


@pytest.fixture
def kibana() -> Iterator[tuple[str, Seen]]:
    """A local HTTP server standing in for Kibana's saved-objects import API."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            seen.requests.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length),
                }
            )
            body = json.dumps(seen.answer).encode()
            self.send_response(seen.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, servers: Servers, unique: str) -> str:
    """Only this test's LOGFLOW_* settings in the environment (osmem for Elasticsearch)."""
    import os

    for name in list(os.environ):
        if name.startswith("LOGFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LOGFLOW_ELASTICSEARCH_HOSTS", servers.es)
    monkeypatch.setenv("LOGFLOW_ROUTING_INDEX_PREFIX", unique)
    return unique


def file_part(request: dict[str, Any]) -> tuple[str | None, str | None, bytes]:
    """(form field name, filename, content) of the one multipart part."""
    head = f"Content-Type: {request['headers']['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request["body"])
    parts = list(message.iter_parts())
    assert len(parts) == 1
    part = parts[0]
    assert part.get_content_type() == "application/ndjson"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    name = part.get_param("name", header="content-disposition")
    assert name is None or isinstance(name, str)
    return name, part.get_filename(), payload


@pytest.mark.integration
class TestImport:
    def test_setup_posts_the_ndjson_to_the_import_api_with_xsrf_and_basic_auth(
        self, kibana: tuple[str, Seen], cli_env: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """One POST to /api/saved_objects/_import?overwrite=true, kbn-xsrf, multipart `file`, Basic auth."""
        url, seen = kibana
        monkeypatch.setenv("LOGFLOW_KIBANA_PASSWORD", "s3cret-kibana")
        result = CliRunner().invoke(app, ["setup", "--kibana", url, "--kibana-user", "elastic"])
        assert result.exit_code == 0, result.output
        assert len(seen.requests) == 1
        request = seen.requests[0]
        assert request["method"] == "POST"
        assert request["path"] == "/api/saved_objects/_import?overwrite=true"
        assert request["headers"]["kbn-xsrf"] == "true"
        assert request["headers"]["content-type"].startswith("multipart/form-data; boundary=")
        assert request["headers"]["authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret-kibana").decode()
        name, filename, content = file_part(request)
        assert (name, filename) == ("file", "logflow.ndjson")
        assert content == to_ndjson(load_objects(cli_env))
        assert f"{cli_env}-*,-{cli_env}-analysis-*" in content.decode()
        assert "imported 18 saved objects" in result.output
        assert "s3cret-kibana" not in result.output

    def test_api_key_from_a_file_and_a_space_change_header_and_path(
        self, kibana: tuple[str, Seen], cli_env: str, tmp_path: Path
    ) -> None:
        """--kibana-api-key-file sends `Authorization: ApiKey …`; --kibana-space imports under /s/{space}."""
        url, seen = kibana
        key_file = tmp_path / "api-key"
        key_file.write_text("aWQ6a2V5\n", encoding="utf-8")
        result = CliRunner().invoke(
            app, ["setup", "--kibana", url, "--kibana-api-key-file", str(key_file), "--kibana-space", "ops"]
        )
        assert result.exit_code == 0, result.output
        request = seen.requests[0]
        assert request["path"] == "/s/ops/api/saved_objects/_import?overwrite=true"
        assert request["headers"]["authorization"] == "ApiKey aWQ6a2V5"

    def test_a_partial_import_fails_setup_and_names_the_objects(self, kibana: tuple[str, Seen], cli_env: str) -> None:
        """When Kibana answers success false, setup fails with the refused objects in the message."""
        url, seen = kibana
        seen.answer = {
            "success": False,
            "successCount": 17,
            "errors": [{"type": "dashboard", "id": "logflow-overview", "error": {"type": "missing_references"}}],
        }
        result = CliRunner().invoke(app, ["setup", "--kibana", url])
        assert result.exit_code != 0
        assert "dashboard/logflow-overview: missing_references" in str(result.exception)

    def test_kibana_rejecting_credentials_fails_with_a_hint(self, kibana: tuple[str, Seen], cli_env: str) -> None:
        """HTTP 401 from Kibana becomes an error that says to check the credentials."""
        url, seen = kibana
        seen.status, seen.answer = 401, {"statusCode": 401, "error": "Unauthorized"}
        result = CliRunner().invoke(app, ["setup", "--kibana", url])
        assert result.exit_code != 0
        assert "HTTP 401" in str(result.exception)
        assert "kibana.username" in str(result.exception)
