"""The Elasticsearch sink: its per-item status policy, accounting, retries and splits (unit tests).

A scripted stand-in answers the bulk requests here; the integration tests (tests/worker/test_faults.py)
run the same sink against a real Elasticsearch API behind a fault proxy.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from elastic_transport import ApiError, ApiResponseMeta, ConnectionError, ConnectionTimeout, HttpHeaders, NodeConfig
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.errors import ConfigError, DeliveryError
from logflow.event import Action, Record
from logflow.sink.base import BatchAbandoned
from logflow.sink.elasticsearch import ElasticsearchSink, StatusPolicy, _running
from logflow.sink.encode import bulk_body
from tests.support import CONDITION_DEADLINE_S


class TestStatusPolicy:
    @given(st.integers(100, 699))
    def test_without_rules_only_throttling_and_server_errors_are_retried_and_any_other_status_dead_lettered(
        self, status: int
    ) -> None:
        """A status no rule names (1xx, 3xx, an unknown class) is dead-lettered: not retried forever, not dropped."""
        expected = "retry" if status == 429 or 500 <= status < 600 else "dlq"
        assert StatusPolicy([])(status) == expected

    def test_defaults_retry_throttling_and_server_errors_and_dead_letter_other_client_errors(self) -> None:
        """429 and 5xx are retried; 400, 404 and 413 go to the dead-letter topic."""
        policy = StatusPolicy(load_settings(environ={}).elasticsearch.item_status_policy)
        assert [policy(s) for s in (429, 500, 503, 400, 404, 413)] == ["retry"] * 3 + ["dlq"] * 3

    def test_an_exact_code_wins_over_its_class_and_a_class_rule_keeps_429_retried(self) -> None:
        """`4xx=drop` with `413=dlq` drops 400 but dead-letters 413, and still retries 429."""
        policy = StatusPolicy(["4xx=drop", "413=dlq", "5xx=dlq"])
        assert (policy(400), policy(413), policy(429), policy(503)) == ("drop", "dlq", "retry", "dlq")

    def test_a_malformed_policy_is_a_configuration_error_naming_the_key(self) -> None:
        """An unknown action is refused at load time, naming the setting."""
        with pytest.raises(ConfigError, match="item_status_policy"):
            load_settings(environ={"LOGFLOW_ELASTICSEARCH_ITEM_STATUS_POLICY": "429=later"})


# --- The sink's per-item accounting, retries and splits, against a scripted Elasticsearch stand-in. ---

Answer = Callable[[int, list[str]], "list[Any] | Exception"]


class ScriptedElasticsearch:
    """Answers each bulk request as ``answer(request_number, ids)`` says: a status per item, or an exception."""

    def __init__(self, answer: Answer, op: str = "index") -> None:
        self.answer = answer
        self.op = op
        self.requests: list[list[str]] = []
        self.bodies: list[bytes] = []
        self.calls: list[dict[str, Any]] = []  # each bulk request's params and headers
        self.infos = 0
        self.transport = None  # not logflow's own transport: `server_of` asks GET / through perform_request

    async def info(self) -> Any:
        """``GET /`` as Elasticsearch 8 answers it (``sink.client.server_of`` asks it once at start-up)."""
        self.infos += 1
        body = {"version": {"number": "8.19.0", "build_flavor": "default"}, "tagline": "You Know, for Search"}
        return SimpleNamespace(body=body, meta=SimpleNamespace(headers={"X-Elastic-Product": "Elasticsearch"}))

    def options(self, **_: Any) -> ScriptedElasticsearch:
        return self  # per-request options (timeouts) change nothing in a script

    async def close(self) -> None:
        return None

    async def perform_request(self, method: str, path: str, **kwargs: Any) -> Any:
        if (method, path) == ("GET", "/"):
            return await self.info()
        if method == "GET" and path.startswith("/_tasks"):  # after a timeout: nothing of ours still runs
            return SimpleNamespace(body={"nodes": {}})
        assert (method, path) == ("POST", "/_bulk")
        ids = [orjson.loads(line)["index"]["_id"] for line in kwargs["body"].splitlines()[::2]]
        self.requests.append(ids)
        self.bodies.append(kwargs["body"])
        self.calls.append({"params": kwargs.get("params"), "headers": kwargs.get("headers")})
        answer = self.answer(len(self.requests), ids)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(body={"items": [{self.op: s if isinstance(s, dict) else {"status": s}} for s in answer]})


def api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
    return ApiError(f"HTTP {status}", meta, {})


def actions(count: int) -> list[Action]:
    return [Action(Record("logs", 0, i, b"x"), "acme-app-2026.11.23", f"logs-0-{i}", b'{"m":1}') for i in range(count)]


def make_sink(client: ScriptedElasticsearch, **es: Any) -> tuple[ElasticsearchSink, list[tuple[str, bool]]]:
    cfg = load_settings(
        environ={},
        overrides={"elasticsearch": {"retry_backoff_s": 0.001, "retry_backoff_max_s": 0.002, **es}},
    ).elasticsearch
    heard: list[tuple[str, bool]] = []
    sink = ElasticsearchSink(
        client,  # type: ignore[arg-type]
        cfg,
        on_state=lambda ok: heard.append(("state", ok)),
        on_pressure=lambda on: heard.append(("pressure", on)),
    )
    return sink, heard


ITEM_STATUSES = [200, 201, 400, 404, 409, 429, 503]


class TestPerItemAccounting:
    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.sampled_from(ITEM_STATUSES), min_size=1, max_size=30), st.integers(1, 7))
    def test_every_action_is_acknowledged_retried_once_more_or_failed_exactly_as_its_status_says(
        self, first: list[int], per_request: int
    ) -> None:
        """First answers as drawn; every retry is answered 201. Retried items, and only they, are sent again."""
        statuses = dict(zip([a.doc_id for a in actions(len(first))], first, strict=True))
        client = ScriptedElasticsearch(lambda n, ids: [statuses.pop(i, 201) for i in ids])
        sink, _ = make_sink(client, bulk_max_docs=per_request)
        done: list[str] = []
        result = asyncio.run(
            sink.index(actions(len(first)), on_done=lambda acked: done.extend(a.doc_id for a in acked))
        )
        ids = [a.doc_id for a in actions(len(first))]
        retried = [i for i, s in zip(ids, first, strict=True) if s in (429, 503)]
        failed = [i for i, s in zip(ids, first, strict=True) if s in (400, 404, 409)]  # 409 on `index` is a conflict
        assert [f.action.doc_id for f in result.failures] == failed
        assert [f.status for f in result.failures] == [s for s in first if s in (400, 404, 409)]
        assert sorted(done) == sorted(set(ids) - set(failed)) and len(done) == len(set(done))
        assert result.indexed == len(ids) - len(failed) and result.retried == len(retried)
        assert [i for request in client.requests for i in request] == ids + retried
        assert all(len(request) <= per_request for request in client.requests)
        assert result.dropped == []
        assert result.statuses == dict(Counter(first) + Counter({201: len(retried)}))

    def test_a_409_answered_for_a_create_operation_counts_as_done(self) -> None:
        """`create` answers 409 when the document is already there: that is success, not a conflict."""
        client = ScriptedElasticsearch(lambda n, ids: [409] * len(ids), op="create")
        sink, _ = make_sink(client)
        done: list[Action] = []
        result = asyncio.run(sink.index(actions(3), on_done=done.extend))
        assert (result.indexed, result.failures, len(done)) == (3, [], 3)

    def test_items_still_throttled_after_the_last_retry_go_to_the_dead_letter_topic_saying_so(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [429 if i.endswith("-1") else 201 for i in ids])
        sink, heard = make_sink(client, max_item_retries=2)
        result = asyncio.run(sink.index(actions(3)))
        assert [f.action.doc_id for f in result.failures] == ["logs-0-1"]
        assert result.failures[0].status == 429 and "still 429 after 2 retries" in result.failures[0].reason
        assert client.requests == [["logs-0-0", "logs-0-1", "logs-0-2"], ["logs-0-1"], ["logs-0-1"]]
        assert (result.indexed, result.retried) == (2, 2)
        assert heard[-1] == ("pressure", False)

    def test_a_drop_policy_counts_the_item_done_and_reports_it_dropped(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [404, 201])
        sink, _ = make_sink(client, item_status_policy=["404=drop"])
        done: list[Action] = []
        result = asyncio.run(sink.index(actions(2), on_done=done.extend))
        assert [(f.action.doc_id, f.status) for f in result.dropped] == [("logs-0-0", 404)]
        assert result.failures == [] and sorted(a.doc_id for a in done) == ["logs-0-0", "logs-0-1"]


class TestWholeRequests:
    @pytest.mark.parametrize(
        "failure",
        [api_error(429), api_error(503), ConnectionError("reset"), ConnectionTimeout("slow")],
        ids=["429", "503", "reset", "timeout"],
    )
    def test_a_failed_request_is_sent_again_until_it_goes_through_with_partitions_paused_meanwhile(
        self, failure: Exception
    ) -> None:
        client = ScriptedElasticsearch(lambda n, ids: failure if n <= 2 else [201] * len(ids))
        sink, heard = make_sink(client)
        result = asyncio.run(sink.index(actions(4)))
        assert result.indexed == 4 and len(client.requests) == 3
        assert client.requests[0] == client.requests[1] == client.requests[2]
        if isinstance(failure, ConnectionTimeout):  # the sink first waits for the server to finish (pressure on)
            assert heard == [
                ("pressure", True),
                ("state", False),
                ("state", False),
                ("state", True),
                ("pressure", False),
            ]
        else:
            assert heard == [
                ("state", False),
                ("pressure", True),
                ("state", False),
                ("state", True),
                ("pressure", False),
            ]

    @pytest.mark.parametrize("status", [400, 413])
    def test_a_refused_request_is_split_until_the_culprit_stands_alone_and_is_dead_lettered(self, status: int) -> None:
        culprit = "logs-0-5"
        client = ScriptedElasticsearch(lambda n, ids: api_error(status) if culprit in ids else [201] * len(ids))
        sink, _ = make_sink(client)
        result = asyncio.run(sink.index(actions(8)))
        assert [(f.action.doc_id, f.status) for f in result.failures] == [(culprit, status)]
        assert result.indexed == 7
        kind = "request_entity_too_large" if status == 413 else "bulk_request_rejected"
        assert result.failures[0].error_type == kind and "whole bulk request was refused" in result.failures[0].reason
        assert [culprit] in client.requests

    def test_an_unauthorized_request_is_a_delivery_error_naming_the_hosts_setting(self) -> None:
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: api_error(401)))
        with pytest.raises(DeliveryError, match=r"HTTP 401.*elasticsearch\.hosts"):
            asyncio.run(sink.index(actions(1)))

    def test_an_answer_with_the_wrong_number_of_items_is_a_delivery_error(self) -> None:
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: [201] * (len(ids) + 1)))
        with pytest.raises(DeliveryError, match="2 items for 1 documents"):
            asyncio.run(sink.index(actions(1)))

    def test_an_abandoned_batch_stops_retrying_and_raises(self) -> None:
        """Given up during an hour-long backoff, the sink raises at once and sends nothing more."""

        async def scenario() -> None:
            asked = asyncio.Event()

            def refuse(n: int, ids: list[str]) -> Exception:
                asked.set()
                return api_error(503)

            client = ScriptedElasticsearch(refuse)
            sink, _ = make_sink(client, retry_backoff_s=3600.0, retry_backoff_max_s=3600.0)
            task = asyncio.create_task(sink.index(actions(2)))
            await asked.wait()  # the first attempt failed: the sink now waits 30 to 60 minutes
            for _ in range(5):  # let it reach that backoff before it is told to give up
                await asyncio.sleep(0)
            sink.abandon.set()
            with pytest.raises(BatchAbandoned, match="revoked"):
                await asyncio.wait_for(task, CONDITION_DEADLINE_S)  # the deadline only if the sleep held on
            assert len(client.requests) == 1

        asyncio.run(scenario())

    def test_start_up_reports_an_answering_server_and_tolerates_a_silent_one(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [])
        sink, heard = make_sink(client)
        asyncio.run(sink.start())
        assert client.infos == 1 and heard == [("state", True)]

        async def refuse() -> Any:
            raise ConnectionError("down")

        silent, heard_silent = make_sink(client)
        client.info = refuse  # type: ignore[method-assign]
        asyncio.run(silent.start())
        assert heard_silent == []


class TestBulkRequests:
    def test_each_body_is_ndjson_asks_only_for_status_and_error_and_keeps_one_opaque_id_across_its_retries(
        self,
    ) -> None:
        """The opaque id is how a retry after a timeout finds its first copy in `GET _tasks`: one per body."""
        client = ScriptedElasticsearch(lambda n, ids: api_error(503) if n in (1, 2) else [201] * len(ids))
        sink, _ = make_sink(client, bulk_max_docs=2)
        assert asyncio.run(sink.index(actions(4))).indexed == 4
        assert [len(ids) for ids in client.requests] == [2, 2, 2, 2]  # the first body three times, then the second
        heads = [call["headers"] for call in client.calls]
        assert all(h["content-type"] == "application/x-ndjson" and h["accept"] == "application/json" for h in heads)
        opaque = [h["x-opaque-id"] for h in heads]
        assert opaque[0] == opaque[1] == opaque[2] != opaque[3]
        for call in client.calls:
            assert set(call["params"]["filter_path"].split(",")) == {"items.*.status", "items.*.error"}


class TestRequestSize:
    @settings(max_examples=150, deadline=None)
    @given(
        sizes=st.lists(st.integers(1, 4_000), min_size=1, max_size=40),
        names=st.lists(st.tuples(st.text("abcdefgh-", min_size=1, max_size=60), st.integers(0, 10**12)), min_size=1),
        max_bytes=st.integers(10_000, 30_000),
        max_docs=st.integers(1, 50),
    )
    def test_each_bulk_body_stays_within_bulk_max_bytes_and_bulk_max_docs_and_is_cut_only_near_a_limit(
        self, sizes: list[int], names: list[tuple[str, int]], max_bytes: int, max_docs: int
    ) -> None:
        """Bodies are measured as sent: a lone document may be larger, no request is cut far short of a limit."""
        batch = []
        for i, size in enumerate(sizes):
            index, number = names[i % len(names)]
            source = orjson.dumps({"m": "x" * size})
            batch.append(Action(Record("logs", 0, i, b"x"), f"acme-{index}", f"logs-0-{number}-{i}", source))
        client = ScriptedElasticsearch(lambda n, ids: [201] * len(ids))
        sink, _ = make_sink(client, bulk_max_bytes=max_bytes, bulk_max_docs=max_docs)
        assert asyncio.run(sink.index(batch)).indexed == len(batch)
        assert [i for ids in client.requests for i in ids] == [a.doc_id for a in batch]  # in order, each once
        one = [len(bulk_body([a])) for a in batch]
        start = 0
        for n, (ids, body) in enumerate(zip(client.requests, client.bodies, strict=True)):
            assert len(ids) <= max_docs
            assert len(body) <= max_bytes or len(ids) == 1
            end = start + len(ids)
            if n + 1 < len(client.requests) and len(ids) < max_docs:  # cut for size: the next would not fit
                assert len(body) + one[end] > max_bytes - 8 * (len(ids) + 1)  # estimate: at most 8 bytes over each
            start = end


class TestItemErrors:
    def test_a_refused_items_error_type_and_reason_with_its_cause_reach_the_failure(self) -> None:
        error = {
            "type": "document_parsing_exception",
            "reason": "failed to parse field [status]",
            "caused_by": {"type": "illegal_argument_exception", "reason": 'For input string: "x"'},
        }
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: [{"status": 400, "error": error}]))
        [failure] = asyncio.run(sink.index(actions(1))).failures
        assert (failure.status, failure.error_type) == (400, "document_parsing_exception")
        assert failure.reason == (
            'failed to parse field [status] (caused by illegal_argument_exception: For input string: "x")'
        )

    @pytest.mark.parametrize(
        ("error", "kind", "reason"),
        [
            ({"reason": "r"}, "http_404", "r"),
            ({"type": "t", "caused_by": {"type": "c"}}, "t", ""),
            ("index_not_found", "error", "index_not_found"),
            (None, "http_404", ""),
            ({"type": "t", "reason": "x" * 3000}, "t", "x" * 1000),
            ("y" * 3000, "error", "y" * 1000),
        ],
    )
    def test_odd_error_shapes_still_give_a_type_and_a_bounded_reason(self, error: Any, kind: str, reason: str) -> None:
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: [{"status": 404, "error": error}]))
        [failure] = asyncio.run(sink.index(actions(1))).failures
        assert (failure.error_type, failure.reason) == (kind, reason)

    def test_an_item_without_a_status_counts_as_a_server_error_and_is_retried(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [{}] if n == 1 else [201])
        sink, _ = make_sink(client)
        result = asyncio.run(sink.index(actions(1)))
        assert (result.indexed, result.retried, result.statuses) == (1, 1, {500: 1, 201: 1})


class TestBackoff:
    @settings(max_examples=200, deadline=None)
    @given(st.integers(0, 40), st.floats(0.01, 5.0), st.floats(0.01, 60.0))
    def test_each_delay_is_the_capped_doubling_with_up_to_half_taken_off_as_jitter(
        self, attempt: int, first: float, cap: float
    ) -> None:
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: []), retry_backoff_s=first, retry_backoff_max_s=cap)
        base = min(cap, first * 2.0 ** min(attempt, 16))
        delays = [sink._backoff(attempt) for _ in range(20)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered: workers that failed together retry apart


class TestTasksListing:
    """``GET _tasks?group_by=none`` after a timeout: is our request (by its ``X-Opaque-Id``) still running?"""

    @pytest.mark.parametrize(
        ("listing", "running"),
        [
            ({"tasks": [{"action": "indices:data/write/bulk", "headers": {"X-Opaque-Id": "ours"}}]}, True),
            ({"tasks": [{"headers": {"X-Opaque-Id": "theirs"}}, {"headers": {"X-Opaque-Id": "ours"}}]}, True),
            ({"tasks": [{"headers": {"X-Opaque-Id": "theirs"}}]}, False),
            ({"tasks": [{"headers": {}}, {"headers": None}, {}, "not a task"]}, False),
            ({"tasks": []}, False),
            ({"tasks": {"node:1": {"headers": {"X-Opaque-Id": "ours"}}}}, False),  # grouped: not what we asked for
            ({"nodes": {}}, False),
            ([], False),
            (None, False),
        ],
    )
    def test_only_a_listed_task_with_our_opaque_id_counts_as_still_running(self, listing: Any, running: bool) -> None:
        assert _running(listing, "ours") is running
