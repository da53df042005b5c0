"""`logflow parse --explain`: which parser read a line, and where every other pattern stopped.

``explain`` tries each text parser's patterns on a line and says, for the ones that do not match,
how far the longest matching prefix of the expression got (``stopped_at``), which piece of the
expression it wanted there (``wanted``), and in words why it stopped. A pattern whose prefix ran
to the end of the line (a `%{DATA}` or `%{GREEDYDATA}` that took the rest) is not reported as
"every character matched": ``matched_chars`` is where the piece that took the rest began, and the
reason says the line ended before the pattern did.

``table`` renders that for a terminal: the document's main fields, the patterns that matched and
the eight that got furthest, each with how many characters it matched and why it stopped. Log
text is never markup: every cell is a ``rich.text.Text``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from rich.table import Table
from rich.text import Text

from logflow.parse.grok import GrokTimeout

if TYPE_CHECKING:
    from logflow.parse.parsers import ParserSet

WANTED_CHARS: Final = 48  # of the expression piece shown
SHOWN_MISSES: Final = 8  # patterns that did not match, furthest first, shown on a terminal
SHOWN_FIELDS: Final = ("logflow.parser", "event.dataset", "@timestamp", "log.level", "message", "tags", "_index")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain(parsers: ParserSet, line: str) -> list[dict[str, Any]]:
    """One entry per text pattern: `parser`, `pattern`, `matched`, and for a miss where and why it stopped."""
    out: list[dict[str, Any]] = []
    for parser in parsers.text_parsers:
        for number, grok in enumerate(parser.groks):
            entry: dict[str, Any] = {"parser": parser.name, "pattern": number}
            try:
                entry["matched"] = grok.match(line) is not None
            except GrokTimeout:
                entry.update(matched=False, timed_out=True, reason="ran out of its time budget on this line")
                out.append(entry)
                continue
            if not entry["matched"]:
                entry.update(_where(grok.stop(line), line))
            out.append(entry)
    return out


def _where(stop: Any, line: str) -> dict[str, Any]:
    """`stopped_at`, `matched_chars`, `of`, `wanted` and `reason` for a pattern that did not match."""
    wanted = None if stop.wanted is None else _short(stop.wanted, WANTED_CHARS)
    at_end = stop.end >= len(line)
    if stop.wanted is None:
        reason = "each piece matches in turn, the whole expression does not (a look-ahead or a budget)"
    elif at_end and stop.taken_from < stop.end:
        reason = f"a piece took the rest of the line from here; `{wanted}` was still wanted after it"
    elif at_end:
        reason = f"the line ended; `{wanted}` was wanted next"
    else:
        reason = f"`{_short(line[stop.end :], 16)}` is not `{wanted}`"
    matched = stop.taken_from if at_end and stop.end else stop.end
    return {"stopped_at": stop.end, "matched_chars": matched, "of": len(line), "wanted": wanted, "reason": reason}


def table(line: str, doc: dict[str, Any], entries: list[dict[str, Any]], where: str = "") -> Table:
    """A terminal table for one line: the document's main fields, then every pattern, furthest first."""
    title = Text(f"{where}  " if where else "")
    title.append(_short(line, 200))
    out = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column, justify in (("parser", "left"), ("#", "right"), ("result", "left"), ("stopped at", "right")):
        out.add_column(Text(column), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    out.add_column(Text("why"), overflow="fold")
    for key in SHOWN_FIELDS:
        if key in doc:
            value = doc[key]
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            out.add_row(Text(key), Text(""), Text(_short(text, 120)), Text(""), Text(""))
    out.add_section()
    ranked = sorted(entries, key=lambda e: (not e["matched"], -e.get("matched_chars", 0), e["parser"], e["pattern"]))
    shown = sum(1 for e in entries if e["matched"]) + SHOWN_MISSES
    for entry in ranked[:shown]:
        if entry["matched"]:
            result, at, why = Text("matched", style="green"), "", ""
        else:
            result = Text("timed out" if entry.get("timed_out") else "no match", style="yellow")
            at = f"{entry['matched_chars']}/{entry['of']}" if "matched_chars" in entry else ""
            why = entry.get("reason", "")
        out.add_row(Text(entry["parser"]), Text(str(entry["pattern"])), result, Text(at), Text(why))
    if len(ranked) > shown:
        out.caption = Text(f"{len(ranked) - shown} more patterns did not match (--json shows every one)")
        out.caption_justify = "left"
    return out
