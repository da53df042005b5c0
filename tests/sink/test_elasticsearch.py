"""The Elasticsearch sink: its per-item status policy, accounting, retries and splits (unit tests).

A scripted stand-in answers the bulk requests here; the integration tests (tests/worker/test_faults.py)
run the same sink against a real Elasticsearch API behind a fault proxy.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, MutableMapping
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from elastic_transport import (
    ApiError,
    ApiResponseMeta,
    ConnectionError,
    ConnectionTimeout,
    HttpHeaders,
    NodeConfig,
    TransportError,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from logflow.config import load_settings
from logflow.errors import ConfigError, DeliveryError
from logflow.event import Action, Record
from logflow.sink.base import BatchAbandoned
from logflow.sink.elasticsearch import ElasticsearchSink, StatusPolicy, _running
from logflow.sink.encode import bulk_body
from logflow.sink.guard import IndexGuard
from logflow.sink.server import UnsupportedServer
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
Tasks = Callable[[int, list[str]], Any]


class ScriptedElasticsearch:
    """Answers each bulk request as ``answer(request_number, ids)`` says: a status per item, or an exception.

    ``GET _tasks`` is answered by ``tasks(poll_number, opaque_ids_sent)`` (default: nothing runs); every
    request is kept in ``log`` as ``(method, path, params, headers, options)`` so a test can check order.
    """

    def __init__(self, answer: Answer, op: str = "index", tasks: Tasks | None = None) -> None:
        self.answer = answer
        self.op = op
        self.tasks = tasks or (lambda n, sent: {"nodes": {}})
        self.requests: list[list[str]] = []
        self.bodies: list[bytes] = []
        self.calls: list[dict[str, Any]] = []  # each bulk request's params, headers and per-request options
        self.log: list[tuple[str, str, Any, Any, dict[str, Any]]] = []
        self.polls = 0
        self.infos = 0
        self.closed = 0
        self.transport = None  # not logflow's own transport: `server_of` asks GET / through perform_request

    async def info(self) -> Any:
        """``GET /`` as Elasticsearch 8 answers it (``sink.client.server_of`` asks it once at start-up)."""
        self.infos += 1
        body = {"version": {"number": "8.19.0", "build_flavor": "default"}, "tagline": "You Know, for Search"}
        return SimpleNamespace(body=body, meta=SimpleNamespace(headers={"X-Elastic-Product": "Elasticsearch"}))

    def options(self, **options: Any) -> WithOptions:
        return WithOptions(self, options)

    async def close(self) -> None:
        self.closed += 1

    async def perform_request(self, method: str, path: str, _options: Any = None, **kwargs: Any) -> Any:
        self.log.append((method, path, kwargs.get("params"), kwargs.get("headers"), _options or {}))
        if (method, path) == ("GET", "/"):
            return await self.info()
        if method == "GET" and path.startswith("/_tasks"):
            self.polls += 1
            sent = [call["headers"]["x-opaque-id"] for call in self.calls]
            listing = self.tasks(self.polls, sent)
            if isinstance(listing, Exception):
                raise listing
            return SimpleNamespace(body=listing)
        assert (method, path) == ("POST", "/_bulk")
        heads = [orjson.loads(line) for line in kwargs["body"].splitlines()[::2]]
        ids = [next(iter(head.values()))["_id"] for head in heads]
        self.requests.append(ids)
        self.bodies.append(kwargs["body"])
        self.calls.append({"params": kwargs.get("params"), "headers": kwargs.get("headers"), "options": _options or {}})
        answer = self.answer(len(self.requests), ids)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(body={"items": [{self.op: s if isinstance(s, dict) else {"status": s}} for s in answer]})


class WithOptions:
    """What ``client.options(request_timeout=...)`` returns: the same script, the options remembered per request."""

    def __init__(self, base: ScriptedElasticsearch, options: dict[str, Any]) -> None:
        self.base = base
        self.options = options

    async def perform_request(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.base.perform_request(method, path, _options=self.options, **kwargs)


def at_level(logs: list[MutableMapping[str, Any]], level: str) -> list[MutableMapping[str, Any]]:
    """The captured log entries of one level, in order."""
    return [entry for entry in logs if entry["log_level"] == level]


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

    @pytest.mark.parametrize("status", [100, 199, 300, 301, 304])
    def test_an_item_status_outside_2xx_is_never_counted_acknowledged(self, status: int) -> None:
        """Elasticsearch answers no 1xx or 3xx per item; should one come, the item is dead-lettered, not lost."""
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: [status]))
        done: list[Action] = []
        result = asyncio.run(sink.index(actions(1), on_done=done.extend))
        assert (result.indexed, done, [f.status for f in result.failures]) == (0, [], [status])

    def test_a_409_answered_for_a_create_operation_counts_as_done(self) -> None:
        """`create` answers 409 when the document is already there: that is success, not a conflict."""
        client = ScriptedElasticsearch(lambda n, ids: [409] * len(ids), op="create")
        sink, _ = make_sink(client)
        done: list[Action] = []
        result = asyncio.run(sink.index(actions(3), on_done=done.extend))
        assert (result.indexed, result.failures, len(done)) == (3, [], 3)

    def test_items_still_throttled_after_the_last_retry_go_to_the_dead_letter_topic_saying_so(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [429 if i.endswith("-1") else 201 for i in ids])
        sink, heard = make_sink(client, max_item_retries=2, retry_backoff_s=0.001, retry_backoff_max_s=1.0)
        slept = record_sleeps(sink, monkeypatch)
        result = asyncio.run(sink.index(actions(3)))
        assert [f.action.doc_id for f in result.failures] == ["logs-0-1"]
        assert result.failures[0].status == 429 and result.failures[0].error_type == "http_429"
        assert result.failures[0].reason == "still 429 after 2 retries: "
        assert slept == [0.001, 0.002]  # the first retry waits the first backoff, each next one twice as long
        assert heard == [("state", True), ("pressure", True), ("state", True), ("state", True), ("pressure", False)]
        assert client.requests == [["logs-0-0", "logs-0-1", "logs-0-2"], ["logs-0-1"], ["logs-0-1"]]
        assert (result.indexed, result.retried) == (2, 2)
        assert heard[-1] == ("pressure", False)

    def test_a_drop_policy_counts_the_item_done_and_reports_it_dropped(self) -> None:
        gone = {"status": 404, "error": {"type": "index_not_found_exception", "reason": "no such index [x]"}}
        client = ScriptedElasticsearch(lambda n, ids: [gone, 201])
        sink, _ = make_sink(client, item_status_policy=["404=drop"])
        done: list[Action] = []
        result = asyncio.run(sink.index(actions(2), on_done=done.extend))
        assert [(f.action.doc_id, f.status, f.error_type, f.reason) for f in result.dropped] == [
            ("logs-0-0", 404, "index_not_found_exception", "no such index [x]")
        ]
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
        sink, heard = make_sink(client)
        result = asyncio.run(sink.index(actions(8)))
        assert [(f.action.doc_id, f.status) for f in result.failures] == [(culprit, status)]
        assert result.indexed == 7
        kind = "request_entity_too_large" if status == 413 else "bulk_request_rejected"
        assert result.failures[0].error_type == kind
        assert result.failures[0].reason == f"the whole bulk request was refused: {api_error(status)}"
        assert [len(ids) for ids in client.requests] == [8, 4, 4, 2, 1, 1, 2]  # halves, the culprit's side split on
        assert heard == [("state", True)] * 7  # a refusal is an answer: the server is up

    def test_the_reason_of_a_refused_whole_request_keeps_the_first_500_characters_of_the_answer(self) -> None:
        meta = ApiResponseMeta(413, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
        refusal = ApiError("q" * 3000, meta, {})
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: refusal))
        [failure] = asyncio.run(sink.index(actions(1))).failures
        assert failure.reason == "the whole bulk request was refused: " + str(refusal)[:500]

    def test_an_unauthorized_request_is_a_delivery_error_naming_the_hosts_setting(self) -> None:
        meta = ApiResponseMeta(401, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
        refusal = ApiError("security_exception: missing authentication credentials " + "w" * 1000, meta, {})
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: refusal))
        with pytest.raises(DeliveryError) as refused:
            asyncio.run(sink.index(actions(1)))
        assert str(refused.value) == (
            f"Elasticsearch refused the bulk request with HTTP 401: {str(refusal)[:300]} "
            "(check elasticsearch.hosts and credentials)"
        )
        assert "security_exception" in str(refused.value)

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
            message = r"^batch abandoned \(partitions revoked\) before Elasticsearch acknowledged it$"
            with pytest.raises(BatchAbandoned, match=message):
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
    @given(st.integers(0, 40), st.floats(1e-6, 5.0), st.floats(0.01, 1e6))
    def test_each_delay_is_the_capped_doubling_with_up_to_half_taken_off_as_jitter(
        self, attempt: int, first: float, cap: float
    ) -> None:
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: []), retry_backoff_s=first, retry_backoff_max_s=cap)
        base = min(cap, first * 2.0 ** min(attempt, 16))
        delays = [sink._backoff(attempt) for _ in range(20)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered: workers that failed together retry apart

    @pytest.mark.parametrize(("draw", "share"), [(0.0, 0.5), (0.5, 0.75), (1.0, 1.0)])
    def test_the_jitter_spans_half_the_delay_to_all_of_it(
        self, monkeypatch: pytest.MonkeyPatch, draw: float, share: float
    ) -> None:
        monkeypatch.setattr("logflow.sink.elasticsearch.random", SimpleNamespace(random=lambda: draw))
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: []), retry_backoff_s=2.0, retry_backoff_max_s=100.0)
        assert [sink._backoff(a) for a in range(3)] == [2.0 * share, 4.0 * share, 8.0 * share]


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


def record_sleeps(sink: ElasticsearchSink, fixed: pytest.MonkeyPatch | None = None, draw: float = 1.0) -> list[float]:
    """Every pause the sink takes (settle polls and backoffs), in order.

    The pauses still happen, unless ``fixed`` is given: then the jitter's random draw is ``draw`` (a
    backoff is exactly ``base * (0.5 + draw / 2)``) and the sink does not wait at all.
    """
    slept: list[float] = []
    sleep = sink._sleep

    async def recorded(seconds: float) -> None:
        slept.append(seconds)
        await (sleep(seconds) if fixed is None else sink._interruptible(asyncio.sleep(0)))

    sink._sleep = recorded  # type: ignore[method-assign]
    if fixed is not None:
        fixed.setattr("logflow.sink.elasticsearch.random", SimpleNamespace(random=lambda: draw))
    return slept


class TestAfterATimeout:
    """A timed-out bulk request may still run on the server: the same body goes again only once it is not."""

    def test_the_body_goes_again_only_after_the_tasks_api_stops_listing_its_opaque_id(self) -> None:
        def tasks(poll: int, sent: list[str]) -> Any:
            ours = {"action": "indices:data/write/bulk", "headers": {"X-Opaque-Id": sent[-1]}}
            other = {"action": "indices:data/write/bulk", "headers": {"X-Opaque-Id": "another-worker"}}
            return {"tasks": [other, ours] if poll <= 3 else [other]}

        client = ScriptedElasticsearch(
            lambda n, ids: ConnectionTimeout("slow") if n == 1 else [201] * len(ids), tasks=tasks
        )
        sink, heard = make_sink(
            client, retry_backoff_s=0.001, retry_backoff_max_s=0.003, request_timeout_s=7.0, bulk_timeout_max_s=600.0
        )
        slept = record_sleeps(sink)
        assert asyncio.run(sink.index(actions(2))).indexed == 2
        assert [(method, path) for method, path, *_ in client.log] == [("POST", "/_bulk")] + [
            ("GET", "/_tasks")
        ] * 4 + [("POST", "/_bulk")]
        for _, _, params, headers, options in client.log[1:5]:
            assert params == {"actions": "indices:data/write/bulk*", "detailed": "true", "group_by": "none"}
            assert headers == {"accept": "application/json"} and options == {"request_timeout": 7.0}
        assert slept[:3] == [0.001, 0.002, 0.003]  # polls while ours runs: doubling from the first backoff, capped
        assert len(slept) == 4 and 0.0005 <= slept[3] <= 0.001  # then the retry's own backoff (first attempt)
        assert [call["options"] for call in client.calls] == [{}, {"request_timeout": 14.0}]
        assert heard == [("pressure", True), ("state", False), ("state", True), ("pressure", False)]

    def test_a_server_without_a_tasks_api_is_awake_when_it_refuses_the_listing(self) -> None:
        client = ScriptedElasticsearch(
            lambda n, ids: ConnectionTimeout("slow") if n == 1 else [201] * len(ids), tasks=lambda n, s: api_error(404)
        )
        sink, _ = make_sink(client)
        slept = record_sleeps(sink)
        assert asyncio.run(sink.index(actions(1))).indexed == 1
        assert client.polls == 1 and len(slept) == 1  # no settle pause: straight to the retry's backoff

    @pytest.mark.parametrize(
        "unreachable", [ConnectionError("reset"), ConnectionTimeout("still slow"), TransportError("broken")]
    )
    def test_an_unreachable_server_is_polled_again_until_it_answers(self, unreachable: Exception) -> None:
        client = ScriptedElasticsearch(
            lambda n, ids: ConnectionTimeout("slow") if n == 1 else [201] * len(ids),
            tasks=lambda n, sent: unreachable if n <= 2 else {"tasks": []},
        )
        sink, _ = make_sink(client, retry_backoff_s=0.001, retry_backoff_max_s=0.01)
        slept = record_sleeps(sink)
        assert asyncio.run(sink.index(actions(1))).indexed == 1
        assert client.polls == 3 and slept[:2] == [0.001, 0.002] and len(slept) == 3

    def test_a_task_that_never_ends_is_waited_for_at_most_bulk_timeout_max_s(self) -> None:
        """The body then goes again: a copy overwrites the same `_id`, so waiting longer buys nothing."""

        def forever(poll: int, sent: list[str]) -> Any:
            return {"tasks": [{"headers": {"X-Opaque-Id": sent[-1]}}]}

        client = ScriptedElasticsearch(
            lambda n, ids: ConnectionTimeout("slow") if n == 1 else [201] * len(ids), tasks=forever
        )
        sink, _ = make_sink(
            client, retry_backoff_s=0.001, retry_backoff_max_s=0.001, request_timeout_s=0.01, bulk_timeout_max_s=0.05
        )
        assert asyncio.run(asyncio.wait_for(sink.index(actions(1)), CONDITION_DEADLINE_S)).indexed == 1
        assert client.polls >= 1 and len(client.requests) == 2

    def test_a_batch_abandoned_while_waiting_for_the_server_is_not_sent_again(self) -> None:
        async def scenario() -> None:
            polled = asyncio.Event()

            def running(poll: int, sent: list[str]) -> Any:
                polled.set()
                return {"tasks": [{"headers": {"X-Opaque-Id": sent[-1]}}]}

            client = ScriptedElasticsearch(lambda n, ids: ConnectionTimeout("slow"), tasks=running)
            sink, _ = make_sink(client, retry_backoff_s=3600.0, retry_backoff_max_s=3600.0, bulk_timeout_max_s=7200.0)
            task = asyncio.create_task(sink.index(actions(1)))
            await polled.wait()
            for _ in range(5):
                await asyncio.sleep(0)
            sink.abort.set()
            with pytest.raises(BatchAbandoned, match="aborted"):
                await asyncio.wait_for(task, CONDITION_DEADLINE_S)
            assert len(client.requests) == 1

        asyncio.run(scenario())

    def test_each_resend_after_a_timeout_waits_twice_as_long_up_to_the_cap(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: ConnectionTimeout("slow") if n <= 5 else [201] * len(ids))
        sink, _ = make_sink(client, request_timeout_s=3.0, bulk_timeout_max_s=20.0)
        assert asyncio.run(sink.index(actions(1))).indexed == 1
        assert [call["options"].get("request_timeout") for call in client.calls] == [None, 6.0, 12.0, 20.0, 20.0, 20.0]

    @settings(max_examples=200, deadline=None)
    @given(st.floats(0.01, 120.0), st.floats(0.01, 900.0), st.integers(0, 40))
    def test_the_timeout_doubles_per_timed_out_send_and_never_passes_the_larger_of_both_limits(
        self, request: float, cap: float, timeouts: int
    ) -> None:
        sink, _ = make_sink(ScriptedElasticsearch(lambda n, ids: []), request_timeout_s=request, bulk_timeout_max_s=cap)
        assert sink._timeout(timeouts) == min(max(cap, request), request * 2.0 ** min(timeouts, 16))

    def test_the_retry_warning_names_the_timeout_the_attempt_the_delay_and_the_documents(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        client = ScriptedElasticsearch(lambda n, ids: ConnectionTimeout("slow") if n <= 3 else [201] * len(ids))
        sink, _ = make_sink(
            client, request_timeout_s=4.0, bulk_timeout_max_s=100.0, retry_backoff_s=3.0, retry_backoff_max_s=100.0
        )
        slept = record_sleeps(sink, monkeypatch, draw=0.123456)
        with capture_logs() as logs:
            asyncio.run(sink.index(actions(3)))
        warnings_ = at_level(logs, "warning")
        assert [w["event"] for w in warnings_] == ["Elasticsearch bulk request failed; retrying."] * 3
        assert [w["attempt"] for w in warnings_] == [1, 2, 3] and {w["documents"] for w in warnings_} == {3}
        assert [w["reason"] for w in warnings_] == [
            f"ConnectionTimeout after {t} s: Connection timed out" for t in (4, 8, 16)
        ]
        assert slept == pytest.approx([1.685184, 3.370368, 6.740736])  # each base doubled, the same jitter draw
        assert [w["retry_in_s"] for w in warnings_] == [1.69, 3.37, 6.74]

    @pytest.mark.parametrize(
        ("failure", "reason"),
        [(api_error(503), "HTTP 503"), (ConnectionError("reset"), "ConnectionError: Connection error")],
        ids=["503", "reset"],
    )
    def test_the_retry_warning_gives_the_status_or_the_error_in_bounded_length(
        self, failure: Exception, reason: str
    ) -> None:
        client = ScriptedElasticsearch(lambda n, ids: failure if n == 1 else [201] * len(ids))
        sink, _ = make_sink(client)
        with capture_logs() as logs:
            asyncio.run(sink.index(actions(1)))
        [warning] = at_level(logs, "warning")
        assert warning["reason"].startswith(reason) and len(warning["reason"]) <= 300

    def test_a_long_error_text_is_cut_to_300_characters_in_the_warning(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: TransportError("x" * 5000) if n == 1 else [201] * len(ids))
        sink, _ = make_sink(client)
        with capture_logs() as logs:
            asyncio.run(sink.index(actions(1)))
        [warning] = at_level(logs, "warning")
        assert len(warning["reason"]) == 300


class ScriptedGuard:
    """Stands in for ``IndexGuard``: each ``prepare`` raises the next scripted failure, then succeeds."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.asked: list[set[str]] = []
        self.first_asked = asyncio.Event()

    async def prepare(self, names: set[str]) -> None:
        self.asked.append(set(names))
        self.first_asked.set()
        if self.failures:
            raise self.failures.pop(0)


def batch_over(names: list[str]) -> list[Action]:
    return [Action(Record("logs", 0, i, b"x"), name, f"logs-0-{i}", b'{"m":1}') for i, name in enumerate(names)]


class TestPreparingIndices:
    """With a routing prefix, each new index is checked before the first write; that check is retried like a request."""

    def guarded(self, failures: list[Exception], **es: Any) -> tuple[ElasticsearchSink, ScriptedGuard, Any]:
        client = ScriptedElasticsearch(lambda n, ids: [201] * len(ids))
        sink, heard = make_sink(client, **es)
        guard = ScriptedGuard(failures)
        sink.guard = guard  # type: ignore[assignment]
        return sink, guard, (client, heard)

    def test_an_unreachable_or_busy_server_is_asked_again_with_every_index_of_the_batch(self) -> None:
        failures: list[Exception] = [
            api_error(503),
            ConnectionError("reset"),
            ConnectionTimeout("slow"),
            TransportError("broken"),
            api_error(429),
        ]
        sink, guard, (client, heard) = self.guarded(failures, retry_backoff_s=0.001, retry_backoff_max_s=1.0)
        slept = record_sleeps(sink)
        with capture_logs() as logs:
            result = asyncio.run(sink.index(batch_over(["acme-b", "acme-a", "acme-b"])))
        assert result.indexed == 3 and len(client.requests) == 1
        assert guard.asked == [{"acme-a", "acme-b"}] * 6
        bases = [0.001, 0.002, 0.004, 0.008, 0.016]  # one attempt more per failure
        assert len(slept) == 5 and all(b / 2 <= s <= b for s, b in zip(slept, bases, strict=True))
        warnings_ = at_level(logs, "warning")
        assert [w["event"] for w in warnings_] == ["Preparing indices failed; retrying."] * 5
        assert [w["reason"].split(":")[0] for w in warnings_] == [
            "HTTP 503",
            "ConnectionError",
            "ConnectionTimeout",
            "TransportError",
            "HTTP 429",
        ]
        assert all(w["retry_in_s"] == round(s, 2) for w, s in zip(warnings_, slept, strict=True))
        assert heard[0] == ("pressure", True) and heard[-1] == ("pressure", False)

    def test_a_refused_check_is_a_delivery_error_naming_the_first_indices_and_sends_nothing(self) -> None:
        sink, _, (client, _) = self.guarded([api_error(403)])
        with pytest.raises(DeliveryError, match=r"preparing indices \['a', 'b', 'c'\] failed: .*HTTP 403"):
            asyncio.run(sink.index(batch_over(["d", "c", "b", "a"])))
        assert client.requests == []

    def test_a_long_refusal_is_cut_in_the_error_and_in_the_warning(self) -> None:
        meta = ApiResponseMeta(403, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
        sink, _, _ = self.guarded([TransportError("y" * 2000), ApiError("z" * 2000, meta, {})])
        with capture_logs() as logs, pytest.raises(DeliveryError) as refused:
            asyncio.run(sink.index(batch_over(["a"])))
        assert str(refused.value) == "preparing indices ['a'] failed: " + str(ApiError("z" * 2000, meta, {}))[:300]
        [warning] = at_level(logs, "warning")
        assert len(warning["reason"]) == 300

    def test_a_batch_abandoned_while_the_check_is_retried_raises_and_sends_nothing(self) -> None:
        async def scenario() -> None:
            sink, guard, (client, _) = self.guarded([api_error(503)] * 100, retry_backoff_s=3600.0)
            task = asyncio.create_task(sink.index(batch_over(["a"])))
            await guard.first_asked.wait()
            for _ in range(5):
                await asyncio.sleep(0)
            sink.abandon.set()
            with pytest.raises(BatchAbandoned, match="revoked"):
                await asyncio.wait_for(task, CONDITION_DEADLINE_S)
            assert client.requests == [] and len(guard.asked) == 1

        asyncio.run(scenario())


class TestSinkSetUp:
    def cfg(self) -> Any:
        return load_settings(environ={}).elasticsearch

    def test_a_routing_prefix_gets_a_guard_for_that_prefix_and_data_streams_need_none(self) -> None:
        client: Any = ScriptedElasticsearch(lambda n, ids: [])
        assert ElasticsearchSink(client, self.cfg()).guard is None
        guarded = ElasticsearchSink(client, self.cfg(), prefix="acme")
        assert isinstance(guarded.guard, IndexGuard) and guarded.guard.prefix == "acme"
        assert guarded.guard.client is client
        assert ElasticsearchSink(client, self.cfg(), prefix="acme", data_stream=True).guard is None

    def test_data_streams_are_written_with_create_and_indices_with_index(self) -> None:
        for data_stream, op in ((False, "index"), (True, "create")):
            client = ScriptedElasticsearch(lambda n, ids: [201] * len(ids), op=op)
            sink = ElasticsearchSink(client, self.cfg(), data_stream=data_stream)  # type: ignore[arg-type]
            assert asyncio.run(sink.index(actions(2))).indexed == 2
            assert {next(iter(orjson.loads(line))) for line in client.bodies[0].splitlines()[::2]} == {op}

    def test_the_sink_closes_only_a_client_it_owns(self) -> None:
        lent = ScriptedElasticsearch(lambda n, ids: [])
        asyncio.run(ElasticsearchSink(lent, self.cfg()).close())  # type: ignore[arg-type]
        owned = ScriptedElasticsearch(lambda n, ids: [])
        asyncio.run(ElasticsearchSink(owned, self.cfg(), own_client=True).close())  # type: ignore[arg-type]
        assert (lent.closed, owned.closed) == (0, 1)

    def test_a_batch_acknowledged_at_once_never_tells_the_worker_about_pressure(self) -> None:
        sink, heard = make_sink(ScriptedElasticsearch(lambda n, ids: [201] * len(ids)))
        assert asyncio.run(sink.index(actions(2))).indexed == 2
        assert heard == [("state", True)]

    def test_an_abort_event_given_is_the_one_that_stops_the_sink(self) -> None:
        abort = asyncio.Event()
        client: Any = ScriptedElasticsearch(lambda n, ids: [])
        sink = ElasticsearchSink(client, self.cfg(), abort=abort)
        abort.set()
        with pytest.raises(BatchAbandoned, match=r"^aborted before Elasticsearch acknowledged the batch$"):
            asyncio.run(sink.index(actions(1)))
        assert not ElasticsearchSink(client, self.cfg()).abort.is_set()

    def test_start_up_remembers_the_server_and_records_nothing_before_a_request(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [])
        sink, _ = make_sink(client)
        assert (sink.server, sink.bulk_seconds) == (None, [])
        asyncio.run(sink.start())
        assert sink.server is not None and sink.server.major == 8

    def test_a_server_logflow_cannot_write_to_stops_start_up_with_an_error_log(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [])

        async def old() -> Any:
            body = {"version": {"number": "6.8.0"}, "tagline": "You Know, for Search"}
            return SimpleNamespace(body=body, meta=SimpleNamespace(headers={}))

        client.info = old  # type: ignore[method-assign]
        sink, heard = make_sink(client)
        with capture_logs() as logs, pytest.raises(UnsupportedServer):
            asyncio.run(sink.start())
        [error] = at_level(logs, "error")
        assert error["event"] == "The search server is not one logflow can write to." and "6.8.0" in error["error"]
        assert heard == [] and sink.server is None

    def test_a_silent_server_at_start_up_is_a_bounded_warning_not_a_stop(self) -> None:
        client = ScriptedElasticsearch(lambda n, ids: [])

        async def refuse() -> Any:
            raise OSError("d" * 1000)

        client.info = refuse  # type: ignore[method-assign]
        sink, heard = make_sink(client)
        with capture_logs() as logs:
            asyncio.run(sink.start())
        [warning] = at_level(logs, "warning")
        assert warning["event"] == "Elasticsearch did not answer at start-up; will retry."
        assert len(warning["error"]) == 300 and heard == [] and sink.server is None

    def test_each_answered_request_records_its_duration(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An injected clock that advances 0.25 s per reading: each answered request took one step."""
        readings = iter(range(1000))
        clock = SimpleNamespace(perf_counter=lambda: 100.0 + 0.25 * next(readings), monotonic=time.monotonic)
        monkeypatch.setattr("logflow.sink.elasticsearch.time", clock)
        client = ScriptedElasticsearch(lambda n, ids: api_error(503) if n == 1 else [201] * len(ids))
        sink, _ = make_sink(client, bulk_max_docs=1)
        asyncio.run(sink.index(actions(3)))
        assert sink.bulk_seconds == [0.25, 0.25, 0.25]  # the refused first attempt is not an answered request
