"""`kpi-registry users …`: the accounts of the verification workflow (issue 20).

Passwords come from $KPI_REGISTRY_PASSWORD or a hidden prompt, never a flag (flags end up in shell history
and `ps`). A token is printed once, when it is made; the database keeps only its digest.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from registry.cli.common import store_options
from registry.cli.output import print_table, to_json
from registry.config import Settings
from registry.workflow.access import ROLES
from registry.workflow.accounts import Accounts, accounts_location

PASSWORD_ENV = "KPI_REGISTRY_PASSWORD"


def accounts_option(func):
    return click.option("--accounts", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                        help="The accounts database (default: $KPI_REGISTRY_ACCOUNTS, else STORE.accounts.sqlite "
                             "beside the store).")(func)


def open_accounts(settings: Settings, accounts: Path | None) -> Accounts:
    return Accounts(accounts_location(settings.store.path, accounts))


@click.group("users")
def users() -> None:
    """Accounts of the verification workflow: editors, verifiers, administrators."""


@users.command("add")
@store_options
@accounts_option
@click.argument("user")
@click.option("--role", type=click.Choice(ROLES), required=True, help="editor, verifier or admin.")
@click.option("--city", "cities", multiple=True, metavar="SLUG", help="A city the editor or verifier works on (repeat).")
@click.option("--name", "display_name", help="The person's name as pages and the published round show it.")
def add(settings: Settings, accounts: Path | None, user: str, role: str, cities: tuple[str, ...],
        display_name: str | None) -> None:
    """Add an account; its password comes from $KPI_REGISTRY_PASSWORD or a prompt."""
    store = open_accounts(settings, accounts)
    password = os.environ.get(PASSWORD_ENV) or click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                                            err=True)
    account = store.add(user, role, password, cities, display_name)
    click.echo(f"added {account.role} {account.name}" + (f" for {', '.join(sorted(account.cities))}" if account.cities else ""),
               err=True)


@users.command("list")
@store_options
@accounts_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_users(settings: Settings, accounts: Path | None, fmt: str) -> None:
    """List the accounts (never a password hash or token)."""
    rows = open_accounts(settings, accounts).list()
    if fmt == "json":
        print(to_json(rows))
        return
    print_table([{**r, "cities": ", ".join(r["cities"]), "disabled": "yes" if r["disabled"] else ""} for r in rows],
                ["user", "role", "name", "cities", "disabled", "tokens"], title="Workflow accounts")


@users.command("disable")
@store_options
@accounts_option
@click.argument("user")
def disable(settings: Settings, accounts: Path | None, user: str) -> None:
    """Disable an account: it can no longer sign in, its sessions end and its tokens are revoked."""
    open_accounts(settings, accounts).disable(user)
    click.echo(f"disabled {user}", err=True)


@users.command("token")
@store_options
@accounts_option
@click.argument("user")
def token(settings: Settings, accounts: Path | None, user: str) -> None:
    """Print a new API token for the account (shown once; only its digest is kept)."""
    print(open_accounts(settings, accounts).new_token(user))
