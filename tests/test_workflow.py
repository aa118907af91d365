"""The verification workflow (issue 20) through the library, the JSON API and the pages (Flask's test
client): every transition, the refusals (401, 403, 409), CSRF, login throttling, and that nothing
unpublished and no secret reaches a public answer."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil

import pytest
from rdflib import Literal

from registry.config import Settings
from registry.namespaces import KPI
from registry.server import create_app
from registry.server.workflow import WorkflowSetup
from registry.store import OxigraphStore, StoreConfig
from registry.workflow.accounts import Accounts

from .conftest import ROOT

PASSWORD = "correct horse battery"
CITY, ROUND = "alesund", "2031"
VALUE = "91.37"  # a value no seed has: where it appears, it came from this round
SEED = (ROOT / "data" / "cities" / "alesund" / "2020-06.csv").read_text(encoding="utf-8").splitlines()
GOOD = "\n".join([SEED[0], SEED[1].replace("96.00", VALUE).replace(",verified,", ",,"),
                  *(line.replace(",verified,", ",,") for line in SEED[2:4])]) + "\n"
BAD = GOOD.replace(VALUE, "ninety-one")
CSV = {"Content-Type": "text/csv"}


class Clock:
    """The accounts' clock, moved by the test (a lock's expiry is tested without waiting)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    """The accounts every test starts with (Argon2 is slow on purpose: hashed once, copied per test)."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.sqlite"
    accounts = Accounts(path)
    accounts.add("eve", "editor", PASSWORD, ["alesund"], "Eve Editor")
    accounts.add("tom", "editor", PASSWORD, ["trondheim"])
    accounts.add("vic", "verifier", PASSWORD, ["alesund"], "Vic Verifier")
    accounts.add("val", "verifier", PASSWORD, ["trondheim"])
    accounts.add("ada", "admin", PASSWORD)
    return path, {name: accounts.new_token(name) for name in ("eve", "tom", "vic", "val", "ada")}


@pytest.fixture
def env(store, tmp_path, accounts_file):
    clock = Clock()
    shutil.copy(accounts_file[0], tmp_path / "accounts.sqlite")
    accounts, tokens = Accounts(tmp_path / "accounts.sqlite", clock), accounts_file[1]
    work = OxigraphStore()
    app = create_app(Settings(StoreConfig(None)), store=store,
                     workflow=WorkflowSetup(accounts, work, b"test-key-" * 4))
    app.config["TESTING"] = True  # errors propagate; CSRF stays on (WTF_CSRF_ENABLED is not touched)
    yield {"app": app, "client": app.test_client(), "tokens": tokens, "accounts": accounts, "clock": clock,
           "work": work, "public": store}
    work.close()


def bearer(env, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env['tokens'][name]}", "Accept": "application/json"}


def api(env, method: str, path: str, who: str | None, **kwargs):
    headers = {**(bearer(env, who) if who else {"Accept": "application/json"}), **kwargs.pop("headers", {})}
    return env["client"].open(f"/api/rounds/{CITY}/{ROUND}{path}", method=method, headers=headers, **kwargs)


def to_verification(env) -> int:
    """Upload, submit and ask one question; the question's id."""
    assert api(env, "PUT", "", "eve", data=GOOD, headers=CSV).status_code == 200
    assert api(env, "POST", "/submit", "eve").get_json() == {"state": "submitted"}
    asked = api(env, "POST", "/questions", "vic", json={"data_point": "EC-ICT-ICT-1C", "question": "Which survey?"})
    assert asked.get_json() == {"state": "in_verification"}
    return api(env, "GET", "", "vic").get_json()["questions"][0]["id"]


def to_verified(env) -> None:
    q = to_verification(env)
    assert api(env, "POST", f"/questions/{q}/answer", "eve", json={"answer": "SSB survey 2030"}).status_code == 200
    assert api(env, "POST", f"/questions/{q}/resolve", "vic", json={"resolution": "Accepted"}).status_code == 200
    decisions = [{"data_point": "EC-ICT-ICT-1C", "verified": True, "comment": "matches SSB"},
                 {"data_point": "EC-ICT-ICT-2C", "verified": False, "comment": "no source"}]
    assert api(env, "POST", "/decisions", "vic", json=decisions).status_code == 200
    assert api(env, "POST", "/verify", "vic").get_json() == {"state": "verified"}


def public_has_value(env) -> bool:
    query = f'ASK {{ ?item <{KPI.value}> ?v FILTER (STR(?v) = "{VALUE.rstrip("0")}" || STR(?v) = "{VALUE}") }}'
    response = env["client"].get("/sparql", query_string={"query": query},
                                 headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    return response.get_json()["boolean"]


# -- the API: every transition ------------------------------------------------------------------------

def test_a_round_goes_from_draft_to_published_and_only_then_is_public(env):
    to_verified(env)
    assert not public_has_value(env)
    assert VALUE not in env["client"].get("/id/city/1507", headers={"Accept": "text/html"}).get_data(as_text=True)
    published = api(env, "POST", "/publish", "vic")
    assert published.status_code == 200, published.get_data(as_text=True)
    assert public_has_value(env)
    page = env["client"].get("/id/city/1507", headers={"Accept": "text/html"})
    assert page.status_code == 200 and VALUE in page.get_data(as_text=True)
    status = api(env, "GET", "", "eve").get_json()
    assert status["state"] == "published"
    assert [s["action"] for s in status["history"]] == [
        "upload", "submit", "ask", "answer", "resolve", "decide", "decide", "verify", "publish"]


def test_the_published_round_counts_the_verifiers_decisions_and_names_the_verifier(env):
    from registry.scoring.summary import summary
    from registry.submissions.ingest import existing_round, find_city

    to_verified(env)
    api(env, "POST", "/publish", "ada")
    public, iris = env["public"], env["app"].extensions["kpi_registry"].iris
    city = find_city(public, CITY)
    counts = summary(public, iris, city, ROUND)["data_points"]["Total"]
    assert (counts["reported"], counts["verified"]) == (3, 1)  # one yes, one no, one not decided
    info = existing_round(public, iris, city, ROUND)
    assert info.verifier == "Vic Verifier" and re.fullmatch(r"\d{4}-\d\d", info.verification_completed)
    prov = public.select(f"SELECT ?agent WHERE {{ GRAPH <{iris.g_workflow(CITY, ROUND)}> {{ ?a <{KPI.action}> 'verify' ; "
                         "<http://www.w3.org/ns/prov#wasAssociatedWith> ?agent ; <http://www.w3.org/ns/prov#endedAtTime> ?t } }")
    assert [str(r["agent"]) for r in prov] == [str(iris.user_agent("vic"))]


def test_an_override_changes_the_reporting_status_with_its_reason(env):
    to_verification(env)
    q = api(env, "GET", "", "vic").get_json()["questions"][0]["id"]
    api(env, "POST", f"/questions/{q}/resolve", "vic", json={"resolution": "withdrawn"})
    decision = [{"data_point": "EC-ICT-ICT-3C", "verified": False, "comment": "not comparable",
                 "override": "not_reported", "reason": "the city counted households, not inhabitants"}]
    assert api(env, "POST", "/decisions", "vic", json=decision).status_code == 200
    api(env, "POST", "/verify", "vic")
    assert api(env, "POST", "/publish", "vic").status_code == 200
    iris = env["app"].extensions["kpi_registry"].iris
    item = iris.observation(CITY, ROUND, "EC-ICT-ICT-3C")
    graph = env["public"].construct(f"CONSTRUCT {{ <{item}> ?p ?o }} WHERE {{ <{item}> ?p ?o }}")
    assert (item, KPI.reportingStatus, KPI.NotReported) in graph
    assert (item, KPI.reason, Literal("the city counted households, not inhabitants")) in graph
    assert (item, KPI.value, None) not in graph


def test_a_faulty_file_is_refused_with_its_findings_and_stores_nothing(env):
    refused = api(env, "PUT", "", "eve", data=BAD, headers=CSV)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["conforms"] is False and any(r["rule"] == "OBS-6" for r in body["results"])
    assert api(env, "GET", "", "eve").status_code == 404
    assert api(env, "PUT", "", "eve", data=GOOD, headers=CSV).status_code == 200
    assert api(env, "GET", "", "eve").get_json()["state"] == "draft"


def test_a_new_draft_replaces_the_previous_one(env):
    api(env, "PUT", "", "eve", data=GOOD, headers=CSV)
    api(env, "PUT", "", "eve", data="\n".join(GOOD.splitlines()[:2]) + "\n", headers=CSV)
    assert [i["data_point"] for i in api(env, "GET", "", "eve").get_json()["items"]] == ["EC-ICT-ICT-1C"]


def test_the_verifier_may_return_a_round_and_the_city_corrects_it(env):
    to_verification(env)
    assert api(env, "PUT", "", "eve", data=GOOD, headers=CSV).get_json()["state"] == "in_verification"
    assert api(env, "POST", "/return", "vic", json={"comment": "use the 2030 figures"}).get_json() == {"state": "draft"}
    assert api(env, "POST", "/submit", "eve").get_json() == {"state": "submitted"}


@pytest.mark.parametrize("method, path, who, body", [
    ("POST", "/submit", "eve", None),  # not a draft any more
    ("POST", "/publish", "vic", None),  # not verified yet
    ("POST", "/verify", "vic", None),  # a question is open
])
def test_a_transition_the_state_does_not_allow_is_409(env, method, path, who, body):
    to_verification(env)
    response = api(env, method, path, who, json=body)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert "not allowed" in response.get_json()["error"] or "still open" in response.get_json()["error"]


def test_publishing_twice_is_409(env):
    to_verified(env)
    assert api(env, "POST", "/publish", "vic").status_code == 200
    assert api(env, "POST", "/publish", "vic").status_code == 409
    assert api(env, "PUT", "", "eve", data=GOOD, headers=CSV).status_code == 409


# -- who may do what -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("GET", ""), ("PUT", ""), ("POST", "/submit"), ("POST", "/decisions"),
                                          ("POST", "/publish"), ("POST", "/verify")])
def test_without_credentials_401(env, method, path):
    api(env, "PUT", "", "eve", data=GOOD, headers=CSV)
    response = api(env, method, path, None, data=GOOD)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = api(env, method, path, None, data=GOOD, headers={"Authorization": "Bearer kpir_not-a-token"})
    assert wrong.status_code == 401


def test_an_editor_of_another_city_can_neither_read_nor_write_it(env):
    api(env, "PUT", "", "eve", data=GOOD, headers=CSV)
    for method, path in (("GET", ""), ("PUT", ""), ("POST", "/submit")):
        response = api(env, method, path, "tom", data=GOOD, headers=CSV)
        assert response.status_code == 403, (method, path)
        assert VALUE not in response.get_data(as_text=True)
    assert api(env, "GET", "", "val").status_code == 403  # a verifier of another city
    assert env["client"].get("/api/rounds", headers=bearer(env, "tom")).get_json() == []


def test_an_editor_may_not_verify_decide_or_publish(env):
    to_verification(env)
    decision = [{"data_point": "EC-ICT-ICT-1C", "verified": True, "comment": ""}]
    assert api(env, "POST", "/decisions", "eve", json=decision).status_code == 403
    assert api(env, "POST", "/verify", "eve").status_code == 403
    assert api(env, "POST", "/publish", "eve").status_code == 403
    assert api(env, "PUT", "", "vic", data=GOOD, headers=CSV).status_code == 403  # a verifier may not upload


def test_a_disabled_account_loses_its_token(env):
    api(env, "PUT", "", "eve", data=GOOD, headers=CSV)
    env["accounts"].disable("eve")
    assert api(env, "GET", "", "eve").status_code == 401


@pytest.mark.parametrize("decisions", [
    {"data_point": "EC-ICT-ICT-1C", "verified": True}, [], [{"data_point": "NO-SUCH", "verified": True}],
    [{"data_point": "EC-ICT-ICT-1C", "verified": "yes"}], [{"data_point": "EC-ICT-ICT-1C", "verified": True, "extra": 1}],
    [{"data_point": "EC-ICT-ICT-1C", "verified": True, "override": "not_reported"}],  # an override needs a reason
    [{"data_point": "EC-ICT-ICT-1C", "verified": True, "override": "not_reported", "reason": "no survey"}],  # OBS-11
])
def test_malformed_decisions_are_422_and_record_nothing(env, decisions):
    to_verification(env)
    before = len(api(env, "GET", "", "vic").get_json()["history"])
    assert api(env, "POST", "/decisions", "vic", json=decisions).status_code == 422
    assert len(api(env, "GET", "", "vic").get_json()["history"]) == before


# -- nothing unpublished leaks ---------------------------------------------------------------------------

def test_an_unpublished_round_is_absent_from_every_public_answer(env):
    to_verified(env)
    client = env["client"]
    assert not public_has_value(env)
    graphs = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"},
                        headers={"Accept": "application/sparql-results+json"}).get_data(as_text=True)
    assert f"{CITY}/{ROUND}" not in graphs
    for path in (f"/data/submission/{CITY}/{ROUND}", f"/id/round/{CITY}/{ROUND}", f"/graph/workflow/{CITY}/{ROUND}"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404, path
    for path in ("/", "/id/city/1507", "/taxonomy", "/def/kpi/EC-ICT-ICT-1C"):
        assert VALUE not in client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True), path
    assert VALUE.encode() not in env["public"].dump()


def test_no_password_hash_or_token_in_any_output(env, caplog):
    caplog.set_level(logging.DEBUG)
    to_verified(env)
    api(env, "POST", "/publish", "vic")
    client, accounts = env["client"], env["accounts"]
    secrets = [PASSWORD, *env["tokens"].values()]
    import sqlite3
    with sqlite3.connect(accounts.path) as db:
        secrets += [h for (h,) in db.execute("SELECT password FROM users")]
        secrets += [d for (d,) in db.execute("SELECT digest FROM tokens")]
    outputs = [env["public"].dump().decode(), env["work"].dump().decode(),
               json.dumps(api(env, "GET", "", "vic").get_json()), json.dumps(accounts.list())]
    login = client.post("/workflow/login", data={"user": "eve", "password": PASSWORD + "x"})
    outputs += [login.get_data(as_text=True), client.get("/workflow/login").get_data(as_text=True)]
    outputs += [api(env, "GET", "", None, headers={"Authorization": "Bearer " + env["tokens"]["eve"][:-1]}).get_data(as_text=True)]
    outputs += [r.getMessage() for r in caplog.records]
    for secret in secrets:
        assert not any(secret in text for text in outputs)
    assert accounts.list()[0].keys() == {"user", "role", "name", "cities", "disabled", "tokens"}


# -- pages, CSRF and sign-in -----------------------------------------------------------------------------

def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, user: str, password: str = PASSWORD):
    return client.post("/workflow/login", data={"user": user, "password": password,
                                                "csrf_token": csrf_token(client, "/workflow/login")})


def test_pages_walk_the_round_and_every_form_needs_its_csrf_token(env):
    client = env["client"]
    assert client.get("/workflow/").status_code == 302  # to the sign-in page
    assert sign_in(client, "eve").status_code == 302
    cookie = client.get_cookie("kpi_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    token = csrf_token(client, "/workflow/")
    upload = {"city": CITY, "round": ROUND, "csrf_token": token}
    bad = client.post("/workflow/new", data={**upload, "file": (io.BytesIO(BAD.encode()), "round.csv")})
    assert bad.status_code == 422 and "OBS-6" in bad.get_data(as_text=True)
    no_token = client.post("/workflow/new", data={"city": CITY, "round": ROUND, "file": (io.BytesIO(GOOD.encode()), "round.csv")})
    assert no_token.status_code == 400 and "CSRF" in no_token.get_data(as_text=True)
    assert client.post("/workflow/new", data={**upload, "file": (io.BytesIO(GOOD.encode()), "round.csv")}).status_code == 302
    page = client.get(f"/workflow/{CITY}/{ROUND}")
    assert page.status_code == 200 and VALUE.rstrip("0") in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and "script-src 'none'" in page.headers["Content-Security-Policy"]
    assert client.post(f"/workflow/{CITY}/{ROUND}/submit").status_code == 400  # no token
    assert client.post(f"/workflow/{CITY}/{ROUND}/submit", data={"csrf_token": token}).status_code == 302
    assert api(env, "GET", "", "vic").get_json()["state"] == "submitted"
    assert client.post(f"/workflow/{CITY}/{ROUND}/publish", data={"csrf_token": token}).status_code == 403
    client.post("/workflow/logout", data={"csrf_token": token})
    assert client.get("/workflow/").status_code == 302


def test_an_editor_of_another_city_gets_403_on_its_pages(env):
    api(env, "PUT", "", "eve", data=GOOD, headers=CSV)
    client = env["client"]
    sign_in(client, "tom")
    page = client.get(f"/workflow/{CITY}/{ROUND}", headers={"Accept": "text/html"})
    assert page.status_code == 403 and VALUE.rstrip("0") not in page.get_data(as_text=True)
    assert CITY not in client.get("/workflow/").get_data(as_text=True).split("<main>")[1]


def test_ten_wrong_passwords_lock_the_account(env):
    client, clock = env["client"], env["clock"]
    statuses = [sign_in(client, "eve", "wrong password!").status_code for _ in range(10)]
    assert statuses[:4] == [401] * 4 and set(statuses[5:]) == {429}
    locked = sign_in(client, "eve")  # even the right password, while locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    clock.now += 24 * 3600
    assert sign_in(client, "eve").status_code == 302


def test_failures_from_one_address_lock_it_for_every_account(env):
    client = env["client"]
    for name in ("eve", "tom", "vic", "val", "ada"):
        sign_in(client, name, "wrong password!")
    assert sign_in(client, "eve").status_code == 429


def test_an_unknown_user_is_refused_like_a_wrong_password(env):
    client = env["client"]
    unknown = sign_in(client, "nobody", PASSWORD)
    wrong = sign_in(client, "eve", "wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    assert "wrong user name or password" in unknown.get_data(as_text=True)


def test_the_next_parameter_stays_on_the_workflow(env):
    client = env["client"]
    form = {"user": "eve", "password": PASSWORD, "csrf_token": csrf_token(client, "/workflow/login"),
            "next": "https://evil.example/"}
    assert client.post("/workflow/login", data=form).headers["Location"] == "/workflow/"


def test_the_public_app_has_no_workflow(store):
    client = create_app(Settings(StoreConfig(None)), store=store).test_client()
    for path in ("/workflow/login", f"/api/rounds/{CITY}/{ROUND}"):
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 404


def test_the_release_of_the_public_store_holds_the_round_only_once_published(env):
    from registry.publication.release import render_release

    iris = env["app"].extensions["kpi_registry"].iris
    to_verified(env)
    before = render_release(env["public"], iris)
    assert not any(VALUE.encode() in data for data in before.files.values())
    api(env, "POST", "/publish", "vic")
    after = render_release(env["public"], iris)
    assert after.failures == []
    assert any(VALUE.encode() in data for data in after.files.values())


def test_behind_https_the_session_cookie_is_secure(store, tmp_path, accounts_file):
    shutil.copy(accounts_file[0], tmp_path / "accounts.sqlite")
    app = create_app(Settings(StoreConfig(None)), store=store,
                     workflow=WorkflowSetup(Accounts(tmp_path / "accounts.sqlite"), OxigraphStore(), b"k" * 32,
                                            secure_cookies=True))
    client = app.test_client()
    sign_in(client, "eve")
    cookie = client.get_cookie("kpi_session")
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_disabling_an_account_ends_its_session(env):
    client = env["client"]
    sign_in(client, "eve")
    assert client.get("/workflow/").status_code == 200
    env["accounts"].disable("eve")
    assert client.get("/workflow/").status_code == 302


def test_publishing_while_another_writer_holds_the_public_store_is_503_and_changes_nothing(tmp_path, staged, accounts_file):
    """The worker holds the public store read-only and opens it for writing only to publish: when `import`
    (here: a writer the test holds) has it, the publish is refused, and may simply be tried again."""
    from .serving import store_on_disk

    path = store_on_disk(tmp_path / "store", staged)
    shutil.copy(accounts_file[0], tmp_path / "accounts.sqlite")
    app = create_app(Settings(StoreConfig(path, read_only=True)),
                     workflow=WorkflowSetup(Accounts(tmp_path / "accounts.sqlite"), OxigraphStore(), b"k" * 32))
    env = {"app": app, "client": app.test_client(), "tokens": accounts_file[1]}
    to_verified(env)
    with OxigraphStore(path):
        busy = api(env, "POST", "/publish", "vic")
        assert busy.status_code == 503 and "another process" in busy.get_json()["error"]
    assert api(env, "GET", "", "vic").get_json()["state"] == "verified"
    assert api(env, "POST", "/publish", "vic").status_code == 200
    assert public_has_value(env)
