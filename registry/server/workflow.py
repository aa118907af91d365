"""The verification workflow on the web: who is asking (a session for pages, a bearer token for the API),
the refusals as HTTP answers, and the JSON API (issue 20).

Installed only when the server is started for the workflow (`serve --workflow`): the public server has no
route that could open the working store. Sessions are Flask's signed cookie (itsdangerous), HttpOnly,
SameSite=Lax and Secure behind HTTPS; every form is protected by Flask-WTF's CSRFProtect. The API takes
bearer tokens only, never the session cookie, so a page on another site cannot make a signed-in
browser call it (no ambient credential, so no CSRF). Responses are `Cache-Control: no-store`: what they
show is not public.
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, session
from flask_wtf.csrf import CSRFProtect

from registry.server import registry_context
from registry.server.errors import error_response
from registry.store import Store, StoreError, open_store
from registry.workflow.access import Account, Unauthenticated, Unavailable, WorkflowError, authorise
from registry.workflow.accounts import Accounts, Throttled
from registry.workflow.rounds import UPLOAD_TYPES, Refused, Workflow

EXTENSION = "kpi_workflow"
SESSION_HOURS = 8


@dataclass
class WorkflowSetup:
    """What `create_app(workflow=…)` needs: the accounts, the working store and the session key."""

    accounts: Accounts
    work: Store
    secret_key: bytes
    secure_cookies: bool = False
    owns_work: bool = False


csrf = CSRFProtect()
api = Blueprint("workflow_api", __name__, url_prefix="/api/rounds")


def install(app: Flask, setup: WorkflowSetup) -> None:
    """Register the workflow's blueprints, session and CSRF settings on the app."""
    from registry.server.workflow_pages import pages

    app.secret_key = setup.secret_key
    app.config.update(SESSION_COOKIE_NAME="kpi_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=setup.secure_cookies, PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
                      WTF_CSRF_CHECK_DEFAULT=False)  # checked by the pages' blueprint, not on /sparql's POST
    csrf.init_app(app)
    context = registry_context_of(app)
    app.extensions[EXTENSION] = setup
    app.extensions[EXTENSION + ".rounds"] = Workflow(setup.work, context.iris, public_store)
    app.context_processor(lambda: {"workflow_enabled": True})
    for blueprint in (api, pages):
        app.register_blueprint(blueprint)
    if setup.owns_work:
        weakref.finalize(app, setup.work.close)


def registry_context_of(app: Flask):
    with app.app_context():
        return registry_context()


def setup() -> WorkflowSetup:
    return current_app.extensions[EXTENSION]


def rounds() -> Workflow:
    return current_app.extensions[EXTENSION + ".rounds"]


@contextmanager
def public_store() -> Iterator[Store]:
    """The public store for a publish: the app's own when it may write to it (a test's, or --allow-update),
    else opened for writing for this one write and closed again (the workers keep their read-only snapshots
    and follow the new generation)."""
    context = registry_context()
    config = context.settings.store
    if context.owns_store and config.read_only and config.remote is None and config.path is not None:
        try:
            store = open_store(replace(config, read_only=False))
        except StoreError:  # e.g. `kpi-registry import` is writing it right now
            raise Unavailable("the public store is being written by another process: publish again in a moment") from None
        with store:
            yield store
    else:
        yield context.store
    context.written()


def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def session_account() -> Account | None:
    """The signed-in account of a page request (a disabled account's session ends with it)."""
    if "account" not in g:
        name = session.get("user")
        g.account = setup().accounts.account(name) if isinstance(name, str) else None
    return g.account


def token_account() -> Account | None:
    """The account of an API request's bearer token (RFC 6750 §2.1)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return setup().accounts.by_token(token.strip())


def refusal(exc: WorkflowError) -> Response:
    """A workflow refusal in the client's type; a file that does not conform brings its findings along."""
    headers = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="kpi-registry"'
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Refused) and request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        return Response(json_text({"status": exc.status, "error": str(exc), **exc.report.as_dict()}), exc.status,
                        headers, mimetype="application/json")
    return error_response(exc.status, str(exc), headers)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


api.register_error_handler(WorkflowError, refusal)
api.after_request(private)


def fields() -> dict[str, Any]:
    """A JSON object body's fields (anything else: none, and the workflow names what is missing). Read
    after nothing else: the workflow checks the account before it looks at them."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@api.get("")
def list_rounds() -> Response:
    account = token_account()
    if account is None:
        raise Unauthenticated("send an API token (Authorization: Bearer …)")
    return jsonify(rounds().rounds(account))


@api.get("/<city>/<round_id>")
def show(city: str, round_id: str) -> Response:
    return jsonify(rounds().status(token_account(), city, round_id))


@api.put("/<city>/<round_id>")
def upload(city: str, round_id: str) -> Response:
    """The body is the file; its Content-Type names its syntax (text/csv, text/turtle, …, the .xlsx type)."""
    account = authorise(token_account(), "upload", city)  # before the body is read
    suffix = UPLOAD_TYPES.get(request.mimetype, "")
    report = rounds().upload(account, city, round_id, request.get_data(cache=False), suffix)
    return jsonify({"state": rounds().status(account, city, round_id)["state"], **report.as_dict()})


@api.post("/<city>/<round_id>/submit")
def submit(city: str, round_id: str) -> Response:
    return jsonify({"state": rounds().submit(token_account(), city, round_id)})


@api.post("/<city>/<round_id>/decisions")
def decisions(city: str, round_id: str) -> Response:
    return jsonify({"state": rounds().decide(token_account(), city, round_id, request.get_json(silent=True))})


@api.post("/<city>/<round_id>/questions")
def ask(city: str, round_id: str) -> Response:
    body = fields()
    return jsonify({"state": rounds().ask(token_account(), city, round_id, body.get("data_point"), body.get("question"))})


@api.post("/<city>/<round_id>/questions/<int:question>/answer")
def answer(city: str, round_id: str, question: int) -> Response:
    return jsonify({"state": rounds().answer(token_account(), city, round_id, question, fields().get("answer"))})


@api.post("/<city>/<round_id>/questions/<int:question>/resolve")
def resolve(city: str, round_id: str, question: int) -> Response:
    return jsonify({"state": rounds().resolve(token_account(), city, round_id, question, fields().get("resolution"))})


@api.post("/<city>/<round_id>/return")
def return_round(city: str, round_id: str) -> Response:
    return jsonify({"state": rounds().return_to_city(token_account(), city, round_id, fields().get("comment"))})


@api.post("/<city>/<round_id>/verify")
def verify(city: str, round_id: str) -> Response:
    return jsonify({"state": rounds().verify(token_account(), city, round_id)})


@api.post("/<city>/<round_id>/publish")
def publish(city: str, round_id: str) -> Response:
    report = rounds().publish(token_account(), city, round_id)
    return jsonify({"state": "published", **report.as_dict()})
