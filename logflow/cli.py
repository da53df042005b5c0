"""The `logflow` command line. Argument handling and output only; the work lives in the library.

Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error, 3 the command did its work
and found what the caller asked to hear about: `logflow parse` rejected records (each named on stderr;
the documents of the others are printed all the same), or `analyze --fail-on` found findings at or
above the given severity.

Output never hard-wraps when piped: messages are one line each (``soft_wrap``), so a log collector or
``grep`` sees the line a terminal shows. Options with a fixed set of values are enums, so ``-h``
lists them and a wrong value is a usage error (exit 2) naming the choices.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.text import Text

from logflow.config import Settings, load_settings, redacted
from logflow.config.reference import reference_markdown
from logflow.config.secrets import mask_output
from logflow.errors import ConfigError, LogflowError
from logflow.logs import configure_logging

#: `-h` as well as `--help`, on every command (click hands context settings down to subcommands).
CONTEXT = {"help_option_names": ["-h", "--help"]}
#: Exit code of `analyze --fail-on` when findings reach the severity.
EXIT_FINDINGS = 3

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
    help="Streaming log pipeline and log analytics.",
)
parsers_app = typer.Typer(no_args_is_help=True, help="Inspect and test parser definitions.")
config_app = typer.Typer(no_args_is_help=True, help="Show the configuration.")
app.add_typer(parsers_app, name="parsers")
app.add_typer(config_app, name="config")

# Nothing printed from outside (lines, file names, answers) is markup or an :emoji: code; a long line stays one
# line when piped.
err = Console(stderr=True, markup=False, emoji=False, soft_wrap=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML configuration file.")]
EXIT_REJECTED = 3  # `logflow parse`: some records would have gone to the dead-letter topic


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


class InputFormat(StrEnum):
    auto = "auto"
    raw = "raw"
    ndjson = "ndjson"


class ReadMode(StrEnum):
    auto = "auto"
    documents = "documents"
    aggregations = "aggregations"


class PatternLevel(StrEnum):
    warn = "warn"
    error = "error"


class Severity(StrEnum):
    warn = "warn"
    error = "error"
    fatal = "fatal"


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"logflow {version('logflow')}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Streaming log pipeline and log analytics."""


def _settings(config: Path | None, **overrides: Any) -> Settings:
    settings = load_settings(config, overrides=overrides or None)
    configure_logging(settings.log.format, settings.log.level)
    return settings


@app.command()
def run(
    config: ConfigOption = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes in the consumer group.")] = 1,
) -> None:
    """Run the worker: consume, parse, enrich, route, index; SIGTERM drains, commits and exits 0."""
    from logflow.worker.runner import run_workers

    settings = _settings(config)
    raise typer.Exit(run_workers(settings, config, workers))


@app.command()
def setup(
    config: ConfigOption = None,
    delete_after: Annotated[str, typer.Option(help="ILM: delete daily indices this long after creation.")] = "30d",
    ilm: Annotated[bool, typer.Option(help="Use ILM when the server has it (detected).")] = True,
    kibana: Annotated[str | None, typer.Option(help="Kibana URL: import data views, searches, dashboard.")] = None,
    kibana_user: Annotated[str | None, typer.Option(help="Kibana user (password from the environment).")] = None,
    kibana_password_file: Annotated[Path | None, typer.Option(help="File holding the Kibana password.")] = None,
    kibana_api_key_file: Annotated[Path | None, typer.Option(help="File holding a Kibana API key.")] = None,
    kibana_space: Annotated[str | None, typer.Option(help="Kibana space to import into.")] = None,
) -> None:
    """Install index templates (ECS mappings), an ILM policy where the server has ILM, and Kibana objects."""
    from logflow.admin.kibana import import_saved_objects
    from logflow.admin.lifecycle import SetupResult, parse_days, setup_indices
    from logflow.sink.client import make_client

    given = {
        "username": kibana_user,
        "password_file": kibana_password_file,
        "api_key_file": kibana_api_key_file,
        "space": kibana_space,
        "url": kibana,
    }
    settings = _settings(config, kibana={k: v for k, v in given.items() if v is not None})
    days = parse_days(delete_after, "--delete-after")
    prefix = settings.routing.index_prefix

    async def go() -> SetupResult:
        client = make_client(settings.elasticsearch)
        try:
            return await setup_indices(client, prefix, days, ilm, settings.routing.mode == "data_stream")
        finally:
            await client.close()

    result = asyncio.run(go())
    for name in result.templates:
        typer.echo(f"installed {name}")
    if result.policy is not None:
        typer.echo(f"ILM: policy {result.policy} deletes each daily index {days} days after it was created")
    else:
        typer.echo(
            f"ILM: not used ({result.ilm.reason}); schedule `logflow retention --keep {days}d` "
            "to delete old daily indices"
        )
    if settings.kibana.url is not None:
        imported = import_saved_objects(settings.kibana, settings.kibana.url, prefix, settings.elasticsearch)
        typer.echo(
            f"Kibana: imported {imported.success_count} saved objects into {settings.kibana.url} "
            f'(data views {prefix}-* and {prefix}-analysis-*; dashboard "logflow: overview")'
        )


@app.command()
def retention(
    keep: Annotated[str, typer.Option(help="Keep this many days of daily indices, e.g. 30d.")],
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
) -> None:
    """Delete daily indices `{prefix}-*-YYYY.MM.dd` older than --keep, by the date in their name."""
    from logflow.admin.lifecycle import parse_days
    from logflow.admin.retention import RetentionPlan, apply_retention
    from logflow.sink.client import make_client

    days = parse_days(keep)
    settings = _settings(config)
    prefix = settings.routing.index_prefix

    async def go() -> RetentionPlan:
        client = make_client(settings.elasticsearch)
        try:
            return await apply_retention(client, prefix, days, dry_run)
        finally:
            await client.close()

    plan = asyncio.run(go())
    verb = "would delete" if dry_run else "deleted"
    for name in plan.delete if dry_run else plan.deleted:
        typer.echo(f"{verb} {name}")
    typer.echo(
        f"{len(plan.delete)} {prefix}-* daily indices before {plan.cutoff.isoformat()} "
        f"{'to delete (dry run)' if dry_run else 'deleted'}; {len(plan.keep)} kept; "
        f"{len(plan.ignored)} other indices left alone"
    )


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="File to write, one record per line.")],
    records: Annotated[int, typer.Option(min=1, help="Records to generate.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Corpus seed (same seed, same records).")] = 7,
    span: Annotated[str, typer.Option(help="Spread event times over this long, up to now: 15m, 6h, 1d.")] = "1d",
) -> None:
    """Write the demo corpus (web, checkout, orders, payments, inventory, auth) for `logflow ship`."""
    from logflow.demo.generate import parse_span, write_corpus

    written = write_corpus(out, records, seed, span=parse_span(span))
    err.print(f"Wrote {written:,} records to {out}.")


@app.command()
def ship(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Files to ship, one record per line.")
    ],
    topic: Annotated[str, typer.Option(help="Kafka topic to produce to.")],
    config: ConfigOption = None,
    partitions: Annotated[int, typer.Option(min=1, help="Partitions if the topic must be created.")] = 3,
    key: Annotated[
        str | None, typer.Option(help="Record key (keeps a file's lines in order on one partition).")
    ] = None,
) -> None:
    """Produce lines (or JSON records) from files to Kafka, with progress."""
    from rich.markup import escape
    from rich.progress import Progress

    from logflow.admin.ship import ensure_topics, file_messages, produce

    settings = _settings(config)
    total = sum(1 for path in files for line in path.open("rb") if line.strip())

    async def go() -> dict[int, int]:
        await ensure_topics(settings.kafka, {topic: partitions})
        with Progress(console=err, transient=True) as progress:
            bar = progress.add_task(f"Shipping to {escape(topic)}", total=total)  # the description is markup
            return await produce(
                settings.kafka,
                topic,
                file_messages(files, key.encode() if key else None),
                progress=lambda n: progress.advance(bar, n),
            )

    counts = asyncio.run(go())
    err.print(f"Shipped {sum(counts.values()):,} records to {topic} ({dict(sorted(counts.items()))} per partition).")


def _lines(files: list[Path]) -> Iterator[tuple[str, int, bytes]]:
    if not files:
        for number, line in enumerate(sys.stdin.buffer, start=1):
            yield "stdin", number, line.rstrip(b"\r\n")
        return
    for path in files:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                yield path.name, number, line.rstrip(b"\r\n")


@app.command()
def parse(
    files: Annotated[
        list[Path] | None, typer.Argument(exists=True, dir_okay=False, help="Files (stdin by default).")
    ] = None,
    config: ConfigOption = None,
    explain: Annotated[
        bool, typer.Option(help="Also show which parsers and patterns matched, and where the others stopped.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --explain: JSON lines even on a terminal (the default when piped).")
    ] = False,
) -> None:
    """Print each line as the document it would be indexed as (one JSON object per line, with `_index`).

    With --explain on a terminal, a table per line instead: the document's main fields, the patterns
    that matched and the ones that got furthest, with where and why each stopped.
    Exits 3 when a record was rejected (it would go to the dead-letter topic; the reason is on stderr).
    """
    from logflow.decode.multiline import MultilineJoiner
    from logflow.event import Record
    from logflow.parse.explain import explain as explain_line
    from logflow.parse.explain import table
    from logflow.worker.processor import Processor

    settings = _settings(config)
    processor = Processor(settings)
    joiner = MultilineJoiner.from_config(settings.decode)
    out = sys.stdout.buffer
    batch: list[Record] = []
    # Log text is never markup or highlighted: the table's cells are Text objects, the console plain.
    screen = Console(markup=False, highlight=False) if explain and not as_json and sys.stdout.isatty() else None
    rejected = 0

    def flush() -> None:
        nonlocal rejected
        processed = processor.process(joiner.join(batch) if joiner else batch, keep_documents=True)
        raw = {record.offset: record.value or b"" for record in batch} if explain else {}
        for doc in processed.documents:
            if explain:
                line = raw[doc["logflow.kafka.offset"]].decode("utf-8", "replace").split("\n", 1)[0]
                entries = explain_line(processor.parsers, line)
                if screen is not None:
                    where = f"{doc['logflow.kafka.topic']}:{doc['logflow.kafka.offset'] + 1}"
                    screen.print(table(line, doc, entries, where))
                    continue
                doc["_explain"] = entries
            out.write(orjson.dumps(doc) + b"\n")
        for rejection in processed.rejections:
            rejected += 1
            err.print(
                f"{rejection.record.topic}:{rejection.record.offset + 1}: rejected ({rejection.error_type}): "
                f"{mask_output(rejection.reason)}",
                highlight=False,
            )
        batch.clear()

    for name, number, raw in _lines(files or []):
        if raw:
            batch.append(Record(name, 0, number - 1, raw))
        if len(batch) >= 1000:
            flush()
    if batch:
        flush()
    out.flush()
    if rejected:
        raise typer.Exit(EXIT_REJECTED)


@app.command()
def mine(
    file: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, help="Input file (stdin by default).")
    ] = None,
) -> None:
    """Mine templates: CSV `line,template_id,template`, one row per input line."""
    from logflow.mining import mine_to_csv

    if file is None:
        mine_to_csv((line.rstrip("\r\n") for line in sys.stdin), sys.stdout)
    else:
        with file.open(encoding="utf-8", errors="replace") as handle:
            mine_to_csv((line.rstrip("\r\n") for line in handle), sys.stdout)


@app.command()
def analyze(
    files: Annotated[list[Path] | None, typer.Argument(help="Log files: raw lines or NDJSON documents.")] = None,
    es: Annotated[str | None, typer.Option("--es", help="Elasticsearch URL (instead of files).")] = None,
    index: Annotated[str | None, typer.Option(help="Index pattern to analyse, e.g. 'logflow-*'.")] = None,
    since: Annotated[str | None, typer.Option(help="Window start: ISO date/time or a duration back (24h).")] = None,
    until: Annotated[str | None, typer.Option(help="Window end: ISO date/time or a duration back.")] = None,
    baseline: Annotated[str | None, typer.Option(help="Baseline length before the window, e.g. 7d.")] = None,
    query: Annotated[str | None, typer.Option(help="Elasticsearch query_string filter.")] = None,
    service: Annotated[str | None, typer.Option(help="Only this service.name.")] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = ReportFormat.table,
    out: Annotated[Path | None, typer.Option(help="Write the report here (default: stdout).")] = None,
    write_es: Annotated[bool, typer.Option("--write-es", help="Store findings in Elasticsearch.")] = False,
    input_format: Annotated[
        InputFormat, typer.Option("--input", help="Files: raw lines (through the parsers) or NDJSON documents.")
    ] = InputFormat.auto,
    mode: Annotated[
        ReadMode | None,
        typer.Option(help="Elasticsearch: read documents or aggregate on the server (default: analyze.mode)."),
    ] = None,
    max_documents: Annotated[int | None, typer.Option(help="Above this many documents, use aggregations.")] = None,
    min_level: Annotated[
        PatternLevel | None, typer.Option(help="Patterns from error (default) or warn events.")
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(help=f"Exit {EXIT_FINDINGS} when a pattern or anomaly is this severe or worse (CI, cron)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Find recurring error patterns and anomalies in files or an Elasticsearch window."""
    from logflow.analyze.command import check_sources, findings_at_or_above, run_command
    from logflow.analyze.options import choice, options_from

    check_sources(files or [], es, index)
    settings = _settings(config, **({"elasticsearch": {"hosts": [es]}} if es else {}))
    options = options_from(
        settings.analyze,
        since=since,
        until=until,
        baseline=baseline,
        query=query,
        service=service,
        min_level=choice("--min-level", min_level.value, ("warn", "error")) if min_level is not None else None,
        input_format=choice("--input", input_format.value, ("auto", "raw", "ndjson")),
        mode=choice("--mode", mode.value, ("auto", "documents", "aggregations")) if mode is not None else None,
        max_documents=max_documents,
    )
    fmt = choice("--format", output_format.value, ("table", "json", "html"))
    report = run_command(files or [], index, settings, options, fmt, out, write_es, err)
    if fail_on is not None:
        reached = findings_at_or_above(report, fail_on.value)
        if reached:
            err.print(f"{reached} findings at or above {fail_on.value} (--fail-on): exit {EXIT_FINDINGS}")
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def demo(
    records: Annotated[int, typer.Option(min=100, help="Records to generate and ship.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Corpus seed (same seed, same corpus).")] = 7,
    out: Annotated[Path, typer.Option(help="Where server logs and reports go.")] = Path("demo-output"),
    incidents: Annotated[
        bool,
        typer.Option(help="Inject incidents (new error, spike, rare messages, a cascade) for the analysis to find."),
    ] = True,
) -> None:
    """Run the whole pipeline on an embedded Kafka + Elasticsearch stack and summarize."""
    from logflow.demo.run import run_demo

    configure_logging("console" if sys.stderr.isatty() else "json", "warning")
    console = Console(soft_wrap=not sys.stdout.isatty())
    result = asyncio.run(run_demo(records, seed, out, console, incidents=incidents))
    raise typer.Exit(0 if result.reconciled else 1)


@parsers_app.command("check")
def parsers_check(
    name: Annotated[str | None, typer.Argument(help="Only this parser.")] = None,
    config: ConfigOption = None,
) -> None:
    """Run every parser's sample lines through the real pipeline and compare the fields."""
    from logflow.admin.parsers_check import check_parsers
    from logflow.worker.processor import Processor

    settings = _settings(config)
    processor = Processor(settings)
    if name is not None and name not in processor.parsers.by_name:
        raise ConfigError("NAME", f"no parser named {name!r}", f"use one of {sorted(processor.parsers.by_name)}")
    outcomes = check_parsers(processor, name)
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        _say("FAIL", f"{outcome.parser}: {outcome.line[:100]!r}")
        for problem in outcome.problems:
            err.print(f"       {problem}", highlight=False)
    typer.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    raise typer.Exit(1 if failed else 0)


@parsers_app.command("suggest")
def parsers_suggest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Log lines, one per line.")],
    name: Annotated[str, typer.Option(help="Name and dataset of the drafted parser.")] = "suggested",
    out: Annotated[Path | None, typer.Option(help="Write the TOML here instead of standard output.")] = None,
    top: Annotated[int, typer.Option(min=1, max=200, help="Most templates given a pattern of their own.")] = 12,
    config: ConfigOption = None,
) -> None:
    """Draft a parser (TOML) for the lines no parser matches, checked against its own samples."""
    from logflow.admin.parsers_suggest import suggest, summary
    from logflow.parse.parsers import ParserSet

    settings = _settings(config)
    parsers = ParserSet.load(settings.parse.parsers_dir)
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    draft = suggest(lines, parsers, settings, name=name, top=top)
    if not draft.unmatched:
        _say("OK", f"every one of the {draft.lines} lines matches a parser already; nothing to draft")
        raise typer.Exit(0)
    if out is None:
        typer.echo(draft.toml, nl=False)
    else:
        out.write_text(draft.toml, encoding="utf-8")
    for line in summary(draft):
        err.print(line, markup=False, highlight=False)
    raise typer.Exit(1 if draft.problems else 0)


@parsers_app.command("list")
def parsers_list(config: ConfigOption = None) -> None:
    """List parsers in the order they are tried."""
    from logflow.parse.parsers import ParserSet

    settings = _settings(config)
    for parser in ParserSet.load(settings.parse.parsers_dir):
        row = f"{parser.priority:>4}  {parser.name:<20} {parser.kind:<5} dataset={parser.dataset:<16}"
        typer.echo(f"{row} {parser.description}")


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """The effective configuration (file + environment), secrets masked; exits 2 if the worker would not start.

    Everything the worker compiles at start-up (parsers, enrichment rules) is compiled here too.
    """
    from logflow.worker.processor import Processor

    settings = load_settings(config)
    Processor(settings)  # raises ConfigError(s) for what only compiles with the parsers' pattern library
    typer.echo(orjson.dumps(redacted(settings), option=orjson.OPT_INDENT_2).decode())


@config_app.command("docs")
def config_docs() -> None:
    """Print docs/configuration.md, generated from the configuration model."""
    typer.echo(reference_markdown(), nl=False)


dlq_app = typer.Typer(no_args_is_help=True, help="Inspect and replay the dead-letter topic.")
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("show")
def dlq_show(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Most records to show.")] = 100,
    error_type: Annotated[str | None, typer.Option("--type", help="Only this error type.")] = None,
) -> None:
    """One JSON object per dead letter: source coordinates, document id, stage, error type, reason."""
    from logflow.admin.replay import show
    from logflow.enrich.redact import printable

    settings = _settings(config)
    mask = printable(settings.redaction)  # the records are log lines as they arrived: masked as indexing masks
    for letter in asyncio.run(show(settings, limit, error_type)):
        typer.echo(orjson.dumps(letter.summary(mask)).decode())


@dlq_app.command("replay")
def dlq_replay(
    config: ConfigOption = None,
    group: Annotated[str | None, typer.Option(help="Replay consumer group (default: GROUP-dlq-replay).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Process only; index and commit nothing.")] = False,
) -> None:
    """Re-feed dead letters after a fix, with their original document ids (a replay cannot double)."""
    from logflow.admin.replay import replay

    settings = _settings(config)
    result = asyncio.run(replay(settings, group, dry_run))
    typer.echo(orjson.dumps(result.__dict__).decode())
    raise typer.Exit(0)


def server_error(exc: BaseException) -> str | None:
    """A one-line explanation for a server that could not be reached or did not answer; None for anything else."""
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
    from elastic_transport import ConnectionError as EsConnectionError
    from elastic_transport import ConnectionTimeout
    from elasticsearch import ApiError

    if isinstance(exc, ConnectionTimeout):
        return (
            f"Elasticsearch did not answer in time ({exc.message}); raise elasticsearch.request_timeout_s "
            "(LOGFLOW_ELASTICSEARCH_REQUEST_TIMEOUT_S) or ask for less (a shorter window, --mode documents)"
        )
    if isinstance(exc, EsConnectionError):
        return f"cannot reach Elasticsearch ({exc.message}); check elasticsearch.hosts (LOGFLOW_ELASTICSEARCH_HOSTS)"
    if isinstance(exc, ApiError):
        return f"Elasticsearch refused the request: HTTP {exc.meta.status} {exc.message}"
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError):
        return f"cannot reach Kafka ({exc}); check kafka.bootstrap_servers (LOGFLOW_KAFKA_BOOTSTRAP_SERVERS)"
    return None


def _say(label: str, text: str) -> None:
    """One error line on stderr: the label styled, the text never read as markup (it may come from a server)."""
    line = Text(label, style="red")
    line.append(" ")
    line.append(mask_output(text))  # an answer or a URL may carry a credential: nothing printed shows one
    err.print(line, highlight=False)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        for problem in getattr(exc, "problems", [exc]):
            _say("configuration error:", str(problem))
        sys.exit(2)
    except LogflowError as exc:
        _say("error:", str(exc))
        sys.exit(1)
    except Exception as exc:
        message = server_error(exc)
        if message is None:
            raise  # a bug: the traceback is the useful output
        _say("error:", message)
        sys.exit(1)
