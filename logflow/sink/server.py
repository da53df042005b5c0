"""Which search server answers, read from its ``GET /``: the wire format and the mappings depend on it.

The official Python client (8.x or 9.x) sends ``application/vnd.elasticsearch+json; compatible-with=N``
with N its own major. Elasticsearch accepts ``compatible-with`` only for its own major and the one
before (``RestCompatibleVersionHelper``), so the 9.x client is refused by 8.x with HTTP 400
``media_type_header_exception``; OpenSearch and osmem answer any ``compatible-with`` with 406. So
the format is chosen from what answers:

- Elasticsearch 8.x: ``compatible-with=8``; 9.x: ``compatible-with=9`` (whatever client is installed);
- OpenSearch 2.x/3.x (``version.distribution: opensearch``; osmem says the same): plain
  ``application/json`` and ``application/x-ndjson``;
- anything else (Elasticsearch 7 or 10+, an answer without a version, a body that claims
  Elasticsearch without the ``X-Elastic-Product`` header every 8.x/9.x answer carries) is refused
  with an error naming what answered.

Pure functions of the answer, so the choice is tested against recorded answers of every release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from logflow.errors import DeliveryError

Product = Literal["elasticsearch", "opensearch"]
_MAJOR = re.compile(r"(\d+)(?![\d])")  # the leading major of `8.19.2`, `9.0.0-SNAPSHOT`, `8-rc1`
SUPPORTED = "Elasticsearch 8.x or 9.x, or OpenSearch 2.x or 3.x (osmem included)"


class UnsupportedServer(DeliveryError):
    """The server at ``elasticsearch.hosts`` is not one logflow can write to; the message says what answered."""


@dataclass(frozen=True, slots=True)
class Server:
    """What ``GET /`` said, reduced to what logflow decides from it."""

    product: Product
    version: str
    major: int

    @property
    def compatible_with(self) -> int | None:
        """The ``compatible-with`` major to send, or None for plain JSON media types."""
        return self.major if self.product == "elasticsearch" else None

    @property
    def elastic_types(self) -> bool:
        """Whether ``match_only_text``, ``wildcard`` and Elastic's built-in component templates exist."""
        return self.product == "elasticsearch"

    def at_least(self, major: int, minor: int) -> bool:
        """Whether the release is ``major.minor`` or later (an unparsable minor counts as 0)."""
        parts = self.version.split(".")
        found = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return (self.major, found) >= (major, minor)

    def describe(self) -> str:
        name = "Elasticsearch" if self.product == "elasticsearch" else "OpenSearch"
        return f"{name} {self.version}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def identify(body: Any, headers: Mapping[str, str], where: str = "the server") -> Server:
    """The ``Server`` that answered ``GET /`` with ``body`` and ``headers``; ``UnsupportedServer`` otherwise."""
    version = body.get("version") if isinstance(body, dict) else None
    number = version.get("number") if isinstance(version, dict) else None
    leading = _MAJOR.match(number) if isinstance(number, str) else None
    if leading is None:
        raise UnsupportedServer(
            f"{where} answered GET / without a version number ({str(body)[:200]!r}); logflow needs {SUPPORTED}"
        )
    number = str(number)
    major = int(leading.group(1))
    distribution = version.get("distribution") if isinstance(version, dict) else None
    if distribution == "opensearch":
        if major not in (2, 3):
            raise UnsupportedServer(f"{where} is OpenSearch {number}; logflow needs {SUPPORTED}")
        return Server("opensearch", number, major)
    if distribution is not None:
        raise UnsupportedServer(f"{where} is an unknown product ({distribution!r} {number}); logflow needs {SUPPORTED}")
    if _header(headers, "x-elastic-product") != "Elasticsearch":
        raise UnsupportedServer(
            f"{where} says it is Elasticsearch {number} but its answer lacks the X-Elastic-Product header that "
            f"every Elasticsearch 8.x/9.x answer carries (a proxy in between, or another product); "
            f"logflow needs {SUPPORTED}"
        )
    if major not in (8, 9):
        raise UnsupportedServer(f"{where} is Elasticsearch {number}; logflow needs {SUPPORTED}")
    return Server("elasticsearch", number, major)
