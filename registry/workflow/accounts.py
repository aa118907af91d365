"""Accounts of the verification workflow, in their own SQLite database: never in the RDF store, so no
SPARQL query, dump or page of the registry can reach them.

- Passwords are hashed with Argon2id (argon2-cffi's PasswordHasher, RFC 9106 §4 parameters), a memory-hard
  KDF: a stolen database does not give the passwords away cheaply.
- API tokens are 256 random bits (secrets.token_urlsafe(32)) and stored only as their SHA-256 digest. A slow
  KDF protects guessable secrets; a token is not guessable (2^256 candidates), so a fast hash loses nothing
  and lets a request find its account by an indexed lookup instead of one Argon2 run per account.
- Login throttling: failed sign-ins are counted per account and per client address; after
  MAX_FAILURES the key is locked for a delay that doubles with every further failure (LOCK_SECONDS, up to
  MAX_LOCK), and while it is locked not even the right password signs in.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from registry.namespaces import CITY_SLUG
from registry.tables import DataError, Refusal
from registry.workflow.access import ROLES, Account, Unauthenticated, WorkflowError

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCK_SECONDS = 30.0
MAX_LOCK = 3600.0
TOKEN_PREFIX = "kpir_"
ACCOUNTS_ENV, SECRET_ENV = "KPI_REGISTRY_ACCOUNTS", "KPI_REGISTRY_SECRET_KEY"

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT, password TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS user_cities (
    name TEXT NOT NULL REFERENCES users(name), city TEXT NOT NULL, PRIMARY KEY (name, city));
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name), created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until REAL NOT NULL);
"""


class Throttled(WorkflowError):
    """Too many failed sign-ins for this account or address (HTTP 429)."""

    status = 429

    def __init__(self, seconds: float) -> None:
        super().__init__(f"too many failed sign-ins: try again in {int(seconds) + 1} s")
        self.retry_after = int(seconds) + 1


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """The accounts database. Each call opens its own connection (SQLite serialises writers), so one
    Accounts may serve a worker's threads."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path, self.clock = Path(path), clock
        self.hasher = PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))  # verified for unknown names: same cost
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with self._db() as db:
            db.executescript(SCHEMA)
        if new:
            self.path.chmod(0o600)  # hashes are not passwords, but nobody else needs to read them

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA foreign_keys = ON")
        return db

    # -- administration (the CLI) ------------------------------------------------------
    def add(self, name: str, role: str, password: str, cities: Iterable[str] = (), display_name: str | None = None) -> Account:
        if not USER_NAME.match(name or ""):
            raise DataError(f"user {name!r}: a lower-case name of letters, digits, '.', '_' or '-' (at most 64)")
        if role not in ROLES:
            raise DataError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        cities = sorted(set(cities))
        for city in cities:
            if not CITY_SLUG.match(city):
                raise DataError(f"city {city!r}: must be a lower-case ASCII slug such as 'alesund'")
        if role != "admin" and not cities:
            raise DataError(f"an {role} needs at least one --city")
        if len(password) < MIN_PASSWORD:
            raise DataError(f"the password is too short: at least {MIN_PASSWORD} characters")
        with closing(self._db()) as db, db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise Refusal(f"user {name!r} exists already")
            db.execute("INSERT INTO users (name, role, display_name, password, created) VALUES (?, ?, ?, ?, ?)",
                       (name, role, display_name, self.hasher.hash(password), self.clock()))
            db.executemany("INSERT INTO user_cities (name, city) VALUES (?, ?)", [(name, c) for c in cities])
        return Account(name, role, frozenset(cities), display_name)

    def list(self) -> list[dict]:
        """Every account, without its password hash or tokens."""
        with closing(self._db()) as db:
            users = db.execute("SELECT name, role, display_name, disabled, "
                               "(SELECT COUNT(*) FROM tokens t WHERE t.name = u.name) FROM users u ORDER BY name").fetchall()
            cities = db.execute("SELECT name, city FROM user_cities ORDER BY city").fetchall()
        return [{"user": n, "role": r, "name": d or "", "cities": [c for u, c in cities if u == n],
                 "disabled": bool(off), "tokens": t} for n, r, d, off, t in users]

    def disable(self, name: str) -> None:
        """The account can no longer sign in, and its tokens are revoked."""
        with closing(self._db()) as db, db:
            if not db.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,)).rowcount:
                raise Refusal(f"no user {name!r}")
            db.execute("DELETE FROM tokens WHERE name = ?", (name,))

    def new_token(self, name: str) -> str:
        """A new API token for the account: returned once, stored only as its digest."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with closing(self._db()) as db, db:
            row = db.execute("SELECT disabled FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise Refusal(f"no user {name!r}")
            if row[0]:
                raise Refusal(f"user {name!r} is disabled")
            db.execute("INSERT INTO tokens (digest, name, created) VALUES (?, ?, ?)", (token_digest(token), name, self.clock()))
        return token

    # -- requests ------------------------------------------------------------------------
    def account(self, name: str) -> Account | None:
        """The enabled account of this name (a disabled one is None: its sessions end with it)."""
        with closing(self._db()) as db:
            row = db.execute("SELECT role, display_name FROM users WHERE name = ? AND disabled = 0", (name,)).fetchone()
            if row is None:
                return None
            cities = frozenset(c for (c,) in db.execute("SELECT city FROM user_cities WHERE name = ?", (name,)))
        return Account(name, row[0], cities, row[1])

    def by_token(self, token: str) -> Account | None:
        with closing(self._db()) as db:
            row = db.execute("SELECT name FROM tokens WHERE digest = ?", (token_digest(token),)).fetchone()
        return self.account(row[0]) if row else None

    def sign_in(self, name: str, password: str, address: str) -> Account:
        """The account, when the password is right and neither the account nor the address is locked;
        Throttled while locked (checked before the password), Unauthenticated otherwise. The message
        never says whether the name exists."""
        keys = (f"user:{name}", f"address:{address}")
        self._check_lock(keys)
        with closing(self._db()) as db:
            row = db.execute("SELECT password FROM users WHERE name = ? AND disabled = 0", (name,)).fetchone()
        if not self._password_matches(row[0] if row else None, password):
            self._fail(keys)
            raise Unauthenticated("wrong user name or password")
        with closing(self._db()) as db, db:
            db.executemany("DELETE FROM failures WHERE key = ?", [(k,) for k in keys])
        return self.account(name)

    def _password_matches(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def _check_lock(self, keys: tuple[str, ...]) -> None:
        with closing(self._db()) as db:
            rows = db.execute(f"SELECT locked_until FROM failures WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()
        wait = max((until - self.clock() for (until,) in rows), default=0.0)
        if wait > 0:
            raise Throttled(wait)

    def _fail(self, keys: tuple[str, ...]) -> None:
        now = self.clock()
        with closing(self._db()) as db, db:
            for key in keys:
                row = db.execute("SELECT count FROM failures WHERE key = ?", (key,)).fetchone()
                count = (row[0] if row else 0) + 1
                over = count - MAX_FAILURES + 1  # the MAX_FAILURES-th failure locks
                until = now + min(LOCK_SECONDS * 2 ** (over - 1), MAX_LOCK) if over > 0 else 0.0
                db.execute("INSERT OR REPLACE INTO failures (key, count, locked_until) VALUES (?, ?, ?)", (key, count, until))


def accounts_location(store: Path | None, given: Path | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """--accounts FILE, else $KPI_REGISTRY_ACCOUNTS, else `STORE.accounts.sqlite` beside the store directory."""
    if given:
        return given
    if environ.get(ACCOUNTS_ENV):
        return Path(environ[ACCOUNTS_ENV])
    if store is None:
        raise DataError(f"the accounts database needs a place: --accounts FILE or ${ACCOUNTS_ENV} "
                        "(there is no store directory to put it beside)")
    return store.with_name(store.name + ".accounts.sqlite")


def secret_key(accounts: Path, environ: Mapping[str, str] = os.environ) -> bytes:
    """The key that signs session cookies: $KPI_REGISTRY_SECRET_KEY, else `ACCOUNTS.secret` beside the
    accounts database, created once with 32 random bytes and mode 600; one others may read is refused
    (whoever reads it can sign a session cookie for any account)."""
    if environ.get(SECRET_ENV):
        return environ[SECRET_ENV].encode("utf-8")
    path = accounts.with_name(accounts.name + ".secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise DataError(f"{path} signs the session cookies but others may read it: chmod 600 {path}") from None
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_hex(32).encode("ascii"))
    return path.read_bytes()
