"""Who may do what to which city's round: the one place the workflow's access rules live.

Every write path (the API, the pages, the library) calls `authorise` before it touches a round, and reading
a round goes through it too: an editor of one city, or a verifier assigned to it, never reaches another
city's unpublished data. Roles (issue 20): an *editor* uploads, submits and answers for the cities of the
account; a *verifier* reviews, decides, asks, returns and verifies the cities assigned to it; an
*administrator* reads every city and may publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("editor", "verifier", "admin")

# action → the roles that may take it (and then only for their own cities, except an administrator).
ACTIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "upload": frozenset({"editor"}),
    "submit": frozenset({"editor"}),
    "answer": frozenset({"editor"}),
    "decide": frozenset({"verifier"}),
    "ask": frozenset({"verifier"}),
    "resolve": frozenset({"verifier"}),
    "return": frozenset({"verifier"}),
    "verify": frozenset({"verifier"}),
    "publish": frozenset({"verifier", "admin"}),
}


class WorkflowError(Exception):
    """A refusal the HTTP layer answers with `status`; the message names no secret."""

    status = 400


class Unauthenticated(WorkflowError):
    status = 401


class Forbidden(WorkflowError):
    status = 403


class NotFound(WorkflowError):
    status = 404


class Conflict(WorkflowError):
    """The round's state does not allow the transition (HTTP 409)."""

    status = 409


class Unavailable(WorkflowError):
    """The public store cannot be written now (another writer holds it): try again (HTTP 503)."""

    status = 503


class Invalid(WorkflowError):
    """The request was understood but its content is refused: a file that does not conform, a bad decision."""

    status = 422


@dataclass(frozen=True)
class Account:
    """A signed-in person as the workflow sees it: never a password, hash or token."""

    name: str
    role: str
    cities: frozenset[str] = field(default_factory=frozenset)
    display_name: str | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.name

    def covers(self, city: str) -> bool:
        return self.role == "admin" or city in self.cities


def authorise(account: Account | None, action: str, city: str) -> Account:
    """The account, when it may take `action` on `city`'s rounds; else Unauthenticated (no account) or
    Forbidden (the wrong role, or a city the account has no part in)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown workflow action {action!r}")  # a programming error, not a refusal
    if account is None:
        raise Unauthenticated("sign in, or send an API token (Authorization: Bearer …)")
    if not account.covers(city):
        raise Forbidden(f"{account.name} has no part in the rounds of city {city!r}")
    if account.role not in ACTIONS[action]:
        allowed = " or ".join(sorted(ACTIONS[action]))
        raise Forbidden(f"{action}: only an {allowed} may do this, and {account.name} is an {account.role}")
    return account

