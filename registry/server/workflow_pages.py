"""The workflow's pages (issue 20): sign-in, the rounds of one's cities and their states, upload with the
findings of validation, the verifier's review table with decisions and questions, and the conversation
per data point. Plain HTML forms that work without JavaScript (the CSP allows none); every POST carries
a Flask-WTF CSRF token, checked before the view runs. Each view asks the same Workflow as the API, so a
page can do nothing the API would refuse.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for

from registry.server.workflow import csrf, private, refusal, rounds, session_account, setup
from registry.workflow import record
from registry.workflow.access import ACTIONS, Unauthenticated, WorkflowError, authorise
from registry.workflow.rounds import Refused, check_round
from registry.workflow.states import label

pages = Blueprint("workflow_pages", __name__, url_prefix="/workflow")
pages.after_request(private)


@pages.before_request
def protect() -> None:
    """CSRF on every form post (Flask-WTF compares the form's token with the session's)."""
    if request.method == "POST":
        csrf.protect()


@pages.errorhandler(WorkflowError)
def refused(exc: WorkflowError) -> Response:
    if isinstance(exc, Unauthenticated) and request.method == "GET" and request.endpoint != "workflow_pages.login":
        return redirect(url_for("workflow_pages.login", next=request.path))
    if isinstance(exc, Refused):  # the findings, and the form to upload the corrected file
        city = request.view_args.get("city") or request.form.get("city")
        round_id = request.view_args.get("round_id") or request.form.get("round")
        return Response(render_template("workflow_refused.html", account=session_account(), city=city,
                                        round_id=round_id, report=exc.report,
                                        results=[p.as_dict() for p in exc.report.problems]), exc.status)
    return refusal(exc)


@pages.get("/login")
def login_form() -> str:
    return render_template("workflow_login.html", next=safe_next(request.args.get("next")))


@pages.post("/login")
def login() -> Response:
    address = request.remote_addr or "unknown"
    try:
        account = setup().accounts.sign_in(request.form.get("user", ""), request.form.get("password", ""), address)
    except WorkflowError as exc:
        page = render_template("workflow_login.html", next=safe_next(request.form.get("next")), error=str(exc))
        response = Response(page, exc.status)
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    session.clear()  # a new session for the new sign-in (no fixation of an earlier one)
    session["user"] = account.name
    session.permanent = True
    return redirect(safe_next(request.form.get("next")))


@pages.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("workflow_pages.login_form"))


def safe_next(target: str | None) -> str:
    """Only a path on this server's workflow (no open redirect to another site)."""
    home = url_for("workflow_pages.home")
    return target if target and target.startswith(home) and not target.startswith("//") else home


def signed_in():
    account = session_account()
    if account is None:
        raise Unauthenticated("sign in first")
    return account


@pages.get("/")
def home() -> str:
    account = signed_in()
    return render_template("workflow_home.html", account=account, rounds=rounds().rounds(account), label=label)


@pages.post("/new")
def new_round() -> Response:
    """An editor starts a round by uploading its first draft."""
    city, round_id = request.form.get("city", ""), request.form.get("round", "")
    check_round(city, round_id)
    return upload_file(city, round_id)


def round_page(city: str, round_id: str) -> dict:
    account = signed_in()
    status = rounds().status(account, city, round_id)
    decisions = {d["data_point"]: d for d in status["decisions"]}
    asked: dict[str, list] = {}
    for q in status["questions"]:
        asked.setdefault(q["data_point"], []).append(q)
    may = {action: account.role in roles and account.covers(city) for action, roles in ACTIONS.items()}
    return {"account": account, "status": status, "decisions": decisions, "asked": asked, "may": may,
            "label": label, "city": city, "round_id": round_id}


@pages.get("/<city>/<round_id>")
def show_round(city: str, round_id: str) -> str:
    return render_template("workflow_round.html", **round_page(city, round_id))


@pages.post("/<city>/<round_id>/upload")
def upload(city: str, round_id: str) -> Response:
    return upload_file(city, round_id)


def upload_file(city: str, round_id: str) -> Response:
    account = authorise(signed_in(), "upload", city)  # before the file is read
    file = request.files.get("file")
    if file is None or not file.filename:
        abort(400, "choose a file to upload")
    name = Path(file.filename).name
    report = rounds().upload(account, city, round_id, file.read(), Path(name).suffix.lower(), name)
    warnings = len(report.problems)
    flash(f"{name} conforms and is the round's draft now" + (f" ({warnings} warnings)" if warnings else ""))
    return redirect(url_for("workflow_pages.show_round", city=city, round_id=round_id))


@pages.post("/<city>/<round_id>/<any(submit, verify, publish, return):action>")
def transition(city: str, round_id: str, action: str) -> Response:
    account, work = signed_in(), rounds()
    if action == "submit":
        state = work.submit(account, city, round_id)
    elif action == "verify":
        state = work.verify(account, city, round_id)
    elif action == "return":
        state = work.return_to_city(account, city, round_id, request.form.get("comment"))
    else:
        work.publish(account, city, round_id)
        state = "published"
    flash(f"The round is {label(state)} now")
    return redirect(url_for("workflow_pages.show_round", city=city, round_id=round_id))


@pages.post("/<city>/<round_id>/decide")
def decide(city: str, round_id: str) -> Response:
    form = request.form
    decision = {"data_point": form.get("data_point"), "verified": form.get("verified") == "yes",
                "comment": form.get("comment") or None}
    if form.get("override"):
        decision |= {"override": form["override"], "reason": form.get("reason")}
    rounds().decide(signed_in(), city, round_id, [decision])
    flash(f"Decision on {decision['data_point']} recorded")
    return redirect(url_for("workflow_pages.show_round", city=city, round_id=round_id) + f"#dp-{decision['data_point']}")


@pages.get("/<city>/<round_id>/point/<data_point>")
def conversation(city: str, round_id: str, data_point: str) -> str:
    page = round_page(city, round_id)
    steps = [s for s in page["status"]["history"] if s.get("data_point") == data_point]
    item = next((i for i in page["status"]["items"] if i["data_point"] == data_point), None)
    if item is None:
        abort(404, f"data point {data_point} is not in the round's draft")
    return render_template("workflow_point.html", **page, data_point=data_point, item=item, steps=steps,
                           questions=page["asked"].get(data_point, []))


@pages.post("/<city>/<round_id>/point/<data_point>/ask")
def ask(city: str, round_id: str, data_point: str) -> Response:
    rounds().ask(signed_in(), city, round_id, data_point, request.form.get("question"))
    flash("Question sent to the city")
    return redirect(url_for("workflow_pages.conversation", city=city, round_id=round_id, data_point=data_point))


@pages.post("/<city>/<round_id>/question/<int:question>/<any(answer, resolve):action>")
def reply(city: str, round_id: str, question: int, action: str) -> Response:
    work, account, text = rounds(), signed_in(), request.form.get("text")
    if action == "answer":
        work.answer(account, city, round_id, question, text)
    else:
        work.resolve(account, city, round_id, question, text)
    data_point = next(q["data_point"] for q in record.questions(work.steps(city, round_id)) if q["id"] == question)
    flash("Answer sent to the verifier" if action == "answer" else "Question resolved")
    return redirect(url_for("workflow_pages.conversation", city=city, round_id=round_id, data_point=data_point))
