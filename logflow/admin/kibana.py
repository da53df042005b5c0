"""Kibana saved objects for `logflow setup --kibana URL`: data views, saved searches, Lens, a dashboard.

The objects ship as NDJSON in ``logflow/assets/kibana/logflow.ndjson`` (Kibana's own export
format, so it can also be imported by hand: Stack Management -> Saved objects -> Import). Every
object carries ``coreMigrationVersion`` and ``typeMigrationVersion`` as Kibana 8.8+ exports do, so
Kibana 8.x and 9.x run exactly the migrations after the version the object was written in (no
object is newer than Kibana 8.9 knows). The "logflow: overview" dashboard's panels are Lens
visualizations (by reference); the older aggregation-based visualizations stay in the file for
anyone who built on them. They are written for the default index prefix ``logflow``;
``load_objects(prefix)`` rewrites the data views' index patterns for another prefix. One Kibana
space holds one prefix's objects (their ids are fixed, and importing overwrites them); use
``kibana.space`` for a second prefix.

The import is one ``POST {url}[/s/{space}]/api/saved_objects/_import?overwrite=true`` with the
``kbn-xsrf`` header and the NDJSON as the multipart ``file`` field. Credentials come from
``[kibana]`` (API key, or user and password), falling back to ``[elasticsearch]``'s: Kibana
accepts the same users and API keys as the cluster behind it.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logflow.config import ElasticsearchConfig, KibanaConfig
from logflow.errors import ConfigError, DeliveryError

ASSET = Path(__file__).resolve().parent.parent / "assets" / "kibana" / "logflow.ndjson"
DEFAULT_PREFIX = "logflow"
IMPORT_PATH = "/api/saved_objects/_import?overwrite=true"


def load_objects(prefix: str = DEFAULT_PREFIX, path: Path = ASSET) -> list[dict[str, Any]]:
    """The shipped saved objects, with the data views' index patterns moved to ``prefix``."""
    objects = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if prefix != DEFAULT_PREFIX:
        for obj in objects:
            if obj["type"] == "index-pattern":
                obj["attributes"]["title"] = _reprefix(obj["attributes"]["title"], prefix)
    return objects


def _reprefix(title: str, prefix: str) -> str:
    parts = []
    for part in title.split(","):
        sign = "-" if part.startswith("-") else ""
        name = part.removeprefix("-")
        if name.startswith(f"{DEFAULT_PREFIX}-"):
            name = f"{prefix}-{name[len(DEFAULT_PREFIX) + 1 :]}"
        parts.append(sign + name)
    return ",".join(parts)


def to_ndjson(objects: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(obj, sort_keys=True).encode() + b"\n" for obj in objects)


def multipart(ndjson: bytes, boundary: str, filename: str = "logflow.ndjson") -> bytes:
    """A ``multipart/form-data`` body with one part, ``file``, as Kibana's import API expects."""
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/ndjson\r\n\r\n"
    ).encode()
    return head + ndjson + f"\r\n--{boundary}--\r\n".encode()


def auth_header(kibana: KibanaConfig, es: ElasticsearchConfig | None = None) -> str | None:
    """``Authorization`` value: Kibana's API key or user, else Elasticsearch's, else none."""
    sources: list[tuple[Any, str | None, Any]] = [(kibana.api_key, kibana.username, kibana.password)]
    if es is not None:
        sources.append((es.api_key, es.username, es.password))
    for api_key, username, password in sources:
        if api_key is not None:
            return f"ApiKey {api_key.get_secret_value()}"
        if username is not None:
            secret = password.get_secret_value() if password is not None else ""
            return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()
    return None


@dataclass
class ImportResult:
    """What Kibana said about the import."""

    success_count: int
    objects: list[tuple[str, str]] = field(default_factory=list)  # (type, id)


def _ssl_context(cfg: KibanaConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cfg.ca_certs) if cfg.ca_certs else None)
    if not cfg.verify_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def import_request(
    url: str, ndjson: bytes, authorization: str | None, space: str | None = None
) -> urllib.request.Request:
    """The exact HTTP request `logflow setup --kibana` sends."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError("kibana.url", f"{url!r} is not an http(s) URL", "give it like http://localhost:5601")
    boundary = f"logflow-{uuid.uuid4().hex}"
    base = url.rstrip("/") + (f"/s/{space}" if space else "")
    headers = {
        "kbn-xsrf": "true",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept": "application/json",
    }
    if authorization is not None:
        headers["Authorization"] = authorization
    body = multipart(ndjson, boundary)
    return urllib.request.Request(base + IMPORT_PATH, data=body, headers=headers, method="POST")  # noqa: S310


def import_saved_objects(
    kibana: KibanaConfig,
    url: str,
    prefix: str,
    es: ElasticsearchConfig | None = None,
    timeout_s: float = 60.0,
) -> ImportResult:
    """Import (overwrite) every shipped object; raises DeliveryError naming what Kibana refused."""
    request = import_request(url, to_ndjson(load_objects(prefix)), auth_header(kibana, es), kibana.space)
    context = _ssl_context(kibana) if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as response:  # noqa: S310 - http(s) checked
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode("utf-8", "replace")
        hint = " (check kibana.username/password or kibana.api_key)" if exc.code in (401, 403) else ""
        problem = f"Kibana refused the saved-objects import: HTTP {exc.code}{hint}: {detail}"
        raise DeliveryError(problem) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"cannot reach Kibana at {url}: {reason}") from None
    if not body.get("success"):
        errors = body.get("errors") or []
        summary = "; ".join(f"{e.get('type')}/{e.get('id')}: {(e.get('error') or {}).get('type')}" for e in errors[:5])
        raise DeliveryError(f"Kibana did not import every object ({len(errors)} failed): {summary}")
    results = body.get("successResults") or []
    return ImportResult(int(body.get("successCount", 0)), [(r.get("type"), r.get("id")) for r in results])
