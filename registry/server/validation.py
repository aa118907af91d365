"""`/validate`: anyone may check a filled template against the rules, and nothing they send is stored.

One endpoint for people and scripts. A browser posts the page's form (multipart, no script: the pages'
CSP allows none) and gets the findings as a page; a script posts the file as the body or as multipart and
gets, by `Accept`, the JSON `kpi-registry validate --format json` prints or the `sh:ValidationReport` in
Turtle. The file goes through the library path the CLI uses (`submissions.ingest.validate_file`), read
from memory: the server never writes it to disk (multipart parts are kept in memory, see
`InMemoryUploads` in `registry/server/__init__.py`), and no log line holds its content.

Limits: the app's MAX_CONTENT_LENGTH (16 MiB, 413), the readers' own (MAX_BYTES, MAX_ROWS, workbook
columns, 400 naming why) and time. The SHACL rules' cost grows faster than the rows do (400 rows of
unknown data points take minutes), so the size limits do not bound the time: each validation runs in a
query process of its own pool (executor.py), which is killed at `validate_timeout` (503), and a worker
runs at most `validate_processes` at once (503 with Retry-After beyond). Parsing opens no connection:
the readers fetch nothing (registry/submissions/userfiles.py), and under `serve` the process has no
network to fetch with (outbound.py).
"""

from __future__ import annotations

import io
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from registry import sparql as queries
from registry.namespaces import IRIs
from registry.server import registry_context
from registry.server.errors import error_response
from registry.server.executor import QueryRefused
from registry.server.negotiation import negotiate
from registry.server.rules import rules_page
from registry.store import Store
from registry.submissions.ingest import Context, default_ids, find_city, new_city, validate_file
from registry.submissions.staged import Catalogue, Problem
from registry.submissions.template import write_csv
from registry.submissions.userfiles import MAX_BYTES
from registry.submissions.validate import json_text, reference_graph, turtle_report
from registry.tables import DataError

bp = Blueprint("validation", __name__)

ANSWERS = ["application/json", "text/turtle", "text/html"]  # `*/*` (curl) gets JSON; browsers rank HTML first
# The body's type, for an upload that is not multipart: it names the syntax, as a file's suffix does.
BODY_TYPES = {"text/csv": ".csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
              "text/turtle": ".ttl", "application/ld+json": ".jsonld", "application/n-triples": ".nt",
              "application/rdf+xml": ".rdf"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_NAME = 100  # characters of an upload's file name kept for the messages


@dataclass(frozen=True)
class Upload:
    """What a validation process is sent: the file (bytes and name) and whose round to check it as."""

    name: str
    data: bytes
    city: str | None = None
    round_id: str | None = None
    municipality: str | None = None
    turtle: bool = False  # the client asked for the sh:ValidationReport


@dataclass
class Checked:
    """What a validation process answers: the verdict, every finding, the reports the client may ask for."""

    city: str
    round_id: str
    conforms: bool
    json: str
    problems: list[Problem] = field(default_factory=list)
    turtle: str | None = None
    seconds: float = 0.0


_CONTEXTS: dict[int, Context] = {}  # per validation process: the catalogue it checks against, read once


def check_upload(store: Store, upload: Upload, iris: IRIs) -> tuple[str, Any]:
    """In a validation process: the upload checked as `kpi-registry validate` checks a file (same defaults
    for city and round, same library calls), as (kind, payload) for executor._outcome."""
    started = time.perf_counter()
    try:
        ctx = _CONTEXTS.get(id(store)) or _CONTEXTS.setdefault(id(store), Context.from_store(store, iris))
        path = PurePosixPath(upload.name)
        slug, round_id = default_ids(path, upload.city, upload.round_id)
        city = find_city(store, slug) or new_city(slug, municipality=upload.municipality)
        _, report = validate_file(path, ctx, city, round_id, data=upload.data)
    except DataError as exc:
        return "refused", str(exc)
    except Exception as exc:  # noqa: BLE001 - fail closed: a file that could not be checked is not accepted
        return "error", f"the validation could not be completed ({type(exc).__name__}): not accepted"
    return "ok", Checked(slug, round_id, report.conforms, json_text([report]), report.problems,
                         turtle_report([report]) if upload.turtle else None, time.perf_counter() - started)


@bp.get("/validate")
def form() -> Response:
    return _page(200)


@bp.post("/validate")
def validate() -> Response:
    answer = negotiate(request.headers.get("Accept"), ANSWERS)
    if answer is None:
        return error_response(406, f"/validate answers {', '.join(ANSWERS)}")
    try:
        upload = _upload(answer == "text/turtle")
    except RequestEntityTooLarge:
        return _refuse(answer, 413, f"the upload is larger than {MAX_BYTES // 2**20} MiB, the most a submission "
                                    "may have (the filled template is about 20 kB as CSV)")
    except ValueError as exc:
        return _refuse(answer, 400, str(exc))
    try:
        checked: Checked = registry_context().validations.run(upload)
    except QueryRefused as exc:
        return _refuse(answer, exc.status, str(exc), getattr(exc, "headers", None))
    if answer == "application/json":
        return _no_store(Response(checked.json + "\n", mimetype="application/json"))
    if answer == "text/turtle":
        return _no_store(Response(checked.turtle, mimetype="text/turtle"))
    return _page(200, checked=checked, upload=upload, groups=_by_kpi(checked.problems))


@bp.get("/validate/template.csv")
def template_csv() -> Response:
    buffer = io.StringIO()
    write_csv(_catalogue().template_rows(), buffer)
    return _download(buffer.getvalue().encode("utf-8"), "text/csv", "template.csv")


@bp.get("/validate/template.xlsx")
def template_xlsx() -> Response:
    context = registry_context()
    data = context.cache.get("template.xlsx")
    if data is None:
        from registry.submissions.workbook import admissible_ranges, write_template  # openpyxl only when asked

        buffer = io.BytesIO()
        catalogue = _catalogue()
        write_template(buffer, catalogue, admissible_ranges(reference_graph(context.store, context.iris), catalogue))
        data = context.cache.setdefault("template.xlsx", buffer.getvalue())
    return _download(data, XLSX, "template.xlsx")


@bp.get("/rules")
def rules() -> Response:
    """docs/rules.md as a page, each rule's row anchored by its id (`/rules#OBS-5`): the findings link here."""
    return Response(render_template("rules.html", body=rules_page()), mimetype="text/html")


def _upload(turtle: bool) -> Upload:
    """The file and its parameters from a multipart form (field `file`) or from the body (its type naming
    the syntax, or `?name=FILE.csv`); ValueError saying what is missing."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None or not part.filename:
            raise ValueError("no file: choose the filled template (.xlsx, .csv, .ttl or .jsonld) to check")
        name, data, fields = part.filename, part.read(), request.form
    else:
        fields = request.args
        suffix = BODY_TYPES.get(request.mimetype)
        name = fields.get("name") or (suffix and f"upload{suffix}")
        if not name:
            raise ValueError(f"the body's type {request.mimetype or '(none)'!r} names no format: send "
                             f"{', '.join(BODY_TYPES)}, a multipart form with the file, or ?name=FILE.csv")
        data = request.get_data(cache=False)
    unnamed = "name" not in fields and request.mimetype != "multipart/form-data"  # no file name gives a round
    return Upload(_name(name), data, fields.get("city") or None, fields.get("round") or ("draft" if unnamed else None),
                  fields.get("municipality") or None, turtle)


def _name(name: str) -> str:
    """The upload's file name as messages give it: its last segment, printable, at most MAX_NAME characters."""
    last = PurePosixPath(name.replace("\\", "/")).name
    clean = "".join(c for c in last if unicodedata.category(c)[0] != "C")[-MAX_NAME:]
    return clean if clean not in ("", ".", "..") else "upload"


def _by_kpi(problems: list[Problem]) -> list[tuple[str, list[Problem]]]:
    """Findings grouped by KPI ("" for the file as a whole) in the report's order, which puts violations
    first: the KPIs that stop the file come first on the page."""
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        groups[p.kpi or ""].append(p)
    return list(groups.items())


def _page(status: int, **values: Any) -> Response:
    context = registry_context()
    cities = context.store.select(queries.load("list_cities"))
    page = render_template("validate.html", cities=cities, max_mib=MAX_BYTES // 2**20,
                           timeout=context.options["validate_timeout"], **values)
    return _no_store(Response(page, status, mimetype="text/html"))


def _refuse(answer: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A refusal in the client's type; for a browser the form again, with the reason above it."""
    if answer == "text/html":
        response = _page(status, error=message)
        response.headers.update(headers or {})
        return response
    return error_response(status, message, headers)


def _catalogue() -> Catalogue:
    context = registry_context()
    return context.cache.get("catalogue") or context.cache.setdefault("catalogue", Catalogue.from_store(context.store))


def _download(data: bytes, media_type: str, name: str) -> Response:
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _no_store(response: Response) -> Response:
    """A report is about one person's file: no cache keeps it (RFC 9111 §5.2.2.5)."""
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return response
