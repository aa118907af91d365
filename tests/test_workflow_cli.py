"""`kpi-registry users …`: the accounts of the verification workflow, as an administrator uses them."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest

from registry.workflow.accounts import Accounts, secret_key

from .conftest import run_cli

PASSWORD = "a long enough password"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "accounts.sqlite"


def users(db, *args, password: str | None = PASSWORD, check: bool = True, input: str | None = None):
    env = {"KPI_REGISTRY_PASSWORD": password} if password else {"KPI_REGISTRY_PASSWORD": ""}
    return run_cli("users", *args, "--accounts", str(db), "--store", ":memory:", env=env, check=check, input=input)


def test_add_list_token_disable(db):
    users(db, "add", "eve", "--role", "editor", "--city", "alesund", "--city", "trondheim", "--name", "Eve E")
    users(db, "add", "ada", "--role", "admin")
    listed = json.loads(users(db, "list", "--format", "json").stdout)
    assert listed == [
        {"user": "ada", "role": "admin", "name": "", "cities": [], "disabled": False, "tokens": 0},
        {"user": "eve", "role": "editor", "name": "Eve E", "cities": ["alesund", "trondheim"], "disabled": False, "tokens": 0},
    ]
    token = users(db, "token", "eve").stdout.strip()
    assert token.startswith("kpir_") and len(token) > 40
    assert Accounts(db).by_token(token).name == "eve"
    table = users(db, "list").stdout
    assert "eve" in table and "alesund, trondheim" in table and token not in table
    users(db, "disable", "eve")
    assert Accounts(db).by_token(token) is None and Accounts(db).account("eve") is None
    assert json.loads(users(db, "list", "--format", "json").stdout)[1]["disabled"] is True


def test_the_database_keeps_no_password_or_token(db):
    users(db, "add", "eve", "--role", "editor", "--city", "alesund")
    token = users(db, "token", "eve").stdout.strip()
    raw = db.read_bytes()
    assert PASSWORD.encode() not in raw and token.encode() not in raw
    with sqlite3.connect(db) as conn:
        (hashed,) = conn.execute("SELECT password FROM users").fetchone()
    assert hashed.startswith("$argon2id$")
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_the_password_is_prompted_for_when_not_in_the_environment(db):
    users(db, "add", "vic", "--role", "verifier", "--city", "alesund", password=None, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert Accounts(db).sign_in("vic", PASSWORD, "127.0.0.1").role == "verifier"


@pytest.mark.parametrize("args, code, message", [
    (("add", "eve", "--role", "editor"), 2, "needs at least one --city"),
    (("add", "Eve!", "--role", "admin"), 2, "user 'Eve!'"),
    (("add", "eve", "--role", "root"), 2, "'root' is not one of"),
    (("add", "eve", "--role", "editor", "--city", "Ålesund"), 2, "lower-case ASCII slug"),
    (("disable", "nobody"), 1, "no user 'nobody'"),
    (("token", "nobody"), 1, "no user 'nobody'"),
])
def test_bad_input_is_one_line_and_an_exit_code(db, args, code, message):
    proc = users(db, *args, check=False)
    assert proc.returncode == code and message in proc.stderr and "Traceback" not in proc.stderr


def test_a_short_password_and_a_second_account_of_one_name_are_refused(db):
    assert users(db, "add", "eve", "--role", "admin", password="short", check=False).returncode == 2
    users(db, "add", "eve", "--role", "admin")
    proc = users(db, "add", "eve", "--role", "admin", check=False)
    assert proc.returncode == 1 and "exists already" in proc.stderr


def test_there_is_no_password_flag(db):
    proc = users(db, "add", "eve", "--role", "admin", "--password", PASSWORD, check=False)
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_the_accounts_default_to_beside_the_store(tmp_path):
    env = {"KPI_REGISTRY_PASSWORD": PASSWORD}
    run_cli("users", "add", "ada", "--role", "admin", "--store", str(tmp_path / "store"), env=env)
    assert (tmp_path / "store.accounts.sqlite").is_file()


def test_the_session_key_file_is_private_and_stable(db, monkeypatch):
    monkeypatch.delenv("KPI_REGISTRY_SECRET_KEY", raising=False)
    key = secret_key(db, environ={})
    path = db.with_name(db.name + ".secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) == 64
    assert secret_key(db, environ={}) == key
    os.chmod(path, 0o644)
    with pytest.raises(Exception, match="chmod 600"):
        secret_key(db, environ={})
    assert secret_key(db, environ={"KPI_REGISTRY_SECRET_KEY": "from-the-environment"}) == b"from-the-environment"


def test_serve_workflow_publishes_into_the_store_its_workers_read(tmp_path, staged):
    """A real `serve --workflow` over a store on disk: the worker holds the public store read-only, a publish
    opens it for its one write, and the endpoint answers with the new round at once; the server's log
    holds no password or token."""
    import requests

    from .serving import running_server, store_on_disk
    from .test_workflow import CSV, GOOD, VALUE

    store = store_on_disk(tmp_path / "store", staged)
    accounts = Accounts(tmp_path / "store.accounts.sqlite")
    accounts.add("eve", "editor", PASSWORD, ["alesund"])
    accounts.add("vic", "verifier", PASSWORD, ["alesund"])
    tokens = {name: accounts.new_token(name) for name in ("eve", "vic")}
    log = tmp_path / "serve.log"
    ask = {"query": f'ASK {{ ?i <https://w3id.org/u4ssc-registry/def#value> ?v FILTER (STR(?v) = "{VALUE}") }}'}
    with running_server(store, "--workflow", log=log) as url:
        def call(method: str, path: str, who: str, **kwargs):
            response = requests.request(method, f"{url}/api/rounds/alesund/2031{path}", timeout=60,
                                        headers={"Authorization": f"Bearer {tokens[who]}", **kwargs.pop("headers", {})}, **kwargs)
            assert response.status_code == 200, response.text
            return response.json()

        call("PUT", "", "eve", data=GOOD.encode(), headers=CSV)
        call("POST", "/submit", "eve")
        call("POST", "/decisions", "vic", json=[{"data_point": "EC-ICT-ICT-1C", "verified": True, "comment": "ok"}])
        call("POST", "/verify", "vic")
        assert not requests.get(f"{url}/sparql", params=ask, headers={"Accept": "application/json"}, timeout=60).json()["boolean"]
        assert call("POST", "/publish", "vic")["state"] == "published"
        assert requests.get(f"{url}/sparql", params=ask, headers={"Accept": "application/json"}, timeout=60).json()["boolean"]
        requests.post(f"{url}/workflow/login", data={"user": "eve", "password": PASSWORD}, timeout=60)
    text = log.read_text(encoding="utf-8")
    assert "1 worker" in text
    assert not any(secret in text for secret in (PASSWORD, *tokens.values()))
    assert (tmp_path / "store.work").is_dir()  # the working store, beside the public one
