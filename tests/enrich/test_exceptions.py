"""Exception headers and serialized error objects, per runtime, with generated names and messages."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import EnrichConfig
from logflow.enrich.exceptions import error_objects, exception_header, split_stack_trace
from logflow.enrich.stage import Enricher
from logflow.event import Record

ident = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
Name = st.from_regex(r"[A-Z][A-Za-z0-9]{0,10}", fullmatch=True)
java_class = st.tuples(st.lists(ident, min_size=1, max_size=4), Name, st.sampled_from(["Exception", "Error"])).map(
    lambda t: ".".join([*t[0], t[1] + t[2]])
)
named = st.tuples(Name, st.sampled_from(["Error", "Exception", "Warning"])).map("".join)
message = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40).map(
    str.strip
)
thread = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789 ", max_size=15)


def enrich(doc: dict[str, Any]) -> dict[str, Any]:
    Enricher(EnrichConfig()).document(doc, Record("logs", 0, 1, b"x"), None, "2026-11-23T00:00:00.000Z", None)
    return doc


class TestHeadersAsTheMessage:
    @settings(max_examples=300, deadline=None)
    @given(cls=java_class, name=thread, text=message)
    def test_a_java_uncaught_exception_line_names_its_class(self, cls: str, name: str, text: str) -> None:
        """`Exception in thread "T" pkg.Class[: message]`, as the JVM prints it, on a line of its own."""
        line = f'Exception in thread "{name}" {cls}' + (f": {text}" if text else "")
        doc = enrich({"message": line})
        assert doc["error.type"] == cls
        assert doc.get("error.message") == (text or None)
        assert "error" in doc["tags"]

    @settings(max_examples=200, deadline=None)
    @given(cls=java_class, text=message)
    def test_a_dotted_java_class_header_names_its_class(self, cls: str, text: str) -> None:
        doc = enrich({"message": f"{cls}: {text}" if text else cls})
        assert doc["error.type"] == cls

    @settings(max_examples=200, deadline=None)
    @given(text=message.filter(bool), kind=st.sampled_from(["panic", "fatal error"]))
    def test_a_go_panic_or_fatal_error_is_an_error_of_that_kind(self, text: str, kind: str) -> None:
        doc = enrich({"message": f"{kind}: {text}\n\ngoroutine 1 [running]:\nmain.main()"})
        assert (doc["error.type"], doc["error.message"]) == (kind, text)

    @settings(max_examples=200, deadline=None)
    @given(name=named, code=st.from_regex(r"ERR_[A-Z_]{1,12}", fullmatch=True), text=message.filter(bool))
    def test_a_node_uncaught_error_keeps_its_code(self, name: str, code: str, text: str) -> None:
        doc = enrich({"message": f"Uncaught {name} [{code}]: {text}"})
        assert (doc["error.type"], doc["error.code"], doc["error.message"]) == (name, code, text)

    @settings(max_examples=200, deadline=None)
    @given(name=st.one_of(named, st.just("Error")), text=message.filter(bool))
    def test_a_bare_name_header_needs_a_trace_after_it(self, name: str, text: str) -> None:
        """`ValueError: x` alone may be prose; followed by frames it is an exception report."""
        alone = enrich({"message": f"{name}: {text}"})
        assert "error.type" not in alone
        traced = enrich({"message": f"{name}: {text}\n    at main (/app/x.js:1:1)"})
        assert traced["error.type"] == name

    @settings(max_examples=200, deadline=None)
    @given(text=message)
    def test_prose_is_no_exception(self, text: str) -> None:
        """Ordinary words before the name: no header (headers open the line)."""
        assert exception_header(f"request failed because {text}") is None


class TestStackTraces:
    @settings(max_examples=200, deadline=None)
    @given(name=st.one_of(named, st.just("Error")), text=message.filter(bool))
    def test_javascript_stacks_name_their_error(self, name: str, text: str) -> None:
        assert split_stack_trace(f"{name}: {text}\n    at f (/a.js:1:2)") == (name, text)


class TestErrorObjects:
    @settings(max_examples=300, deadline=None)
    @given(
        prefix=st.sampled_from(["json", "pino", "bunyan", "winston"]),
        key=st.sampled_from(["err", "error", "exception"]),
        etype=st.one_of(st.none(), named),
        use_name=st.booleans(),
        text=st.one_of(st.none(), message.filter(bool)),
        stack=st.one_of(st.none(), message.filter(bool)),
        code=st.one_of(st.none(), st.integers(min_value=1, max_value=200), st.just("ECONNREFUSED")),
        extra=st.dictionaries(st.sampled_from(["signal", "errno", "cause"]), st.integers(), max_size=2),
    )
    def test_a_serialized_error_becomes_error_fields_and_keeps_the_rest(
        self,
        prefix: str,
        key: str,
        etype: str | None,
        use_name: bool,
        text: str | None,
        stack: str | None,
        code: int | str | None,
        extra: dict[str, int],
    ) -> None:
        """pino `{type, message, stack}`, bunyan `{name, message, stack, code}`: each to its ECS field."""
        obj: dict[str, Any] = dict(extra)
        if etype:
            obj["name" if use_name else "type"] = etype
        for field, value in (("message", text), ("stack", stack), ("code", code)):
            if value is not None:
                obj[field] = value
        doc: dict[str, Any] = {"message": "m", f"{prefix}.{key}": obj}
        error_objects(doc)
        assert doc.get("error.type") == etype
        assert doc.get("error.message") == text
        assert doc.get("error.stack_trace") == stack
        assert doc.get("error.code") == (str(code) if code is not None else None)
        assert doc.get(f"{prefix}.{key}") == (extra or None)

    def test_fields_the_document_has_are_not_overwritten(self) -> None:
        doc: dict[str, Any] = {"error.message": "own", "json.err": {"message": "theirs", "type": "E"}}
        error_objects(doc)
        assert doc == {"error.message": "own", "error.type": "E", "json.err": {"message": "theirs"}}
