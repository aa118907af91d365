"""What every CLI verb shares: store options, error classes, progress, the ready store.

Feature modules define their own click commands with these helpers; `registry.cli` adds them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import click
from rich.console import Console

from .build import build, is_built
from .config import Settings
from .sparql import QueryError
from .store import Store, StoreError, open_store
from .tables import DataError

err = Console(stderr=True)
FORMATS = click.Choice(["table", "json", "csv"])


class Refused(click.ClickException):
    """Input was read but does not conform / the request is refused: exit 1."""

    exit_code = 1


class Fatal(click.ClickException):
    """Unreadable input or bad configuration: exit 2."""

    exit_code = 2


class RegistryGroup(click.Group):
    """Turns the library's errors into one-line messages with the documented exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (DataError, StoreError, QueryError, OSError) as exc:
            raise Fatal(str(exc)) from None


def store_options(func: Callable) -> Callable:
    """`--store` and `--base-iri` on every verb; resolves them into Settings once."""

    @click.option("--store", "store_path", metavar="DIR", envvar="KPI_REGISTRY_STORE",
                  help="Embedded store directory (default .store/; ':memory:' for a throwaway store).")
    @click.option("--base-iri", metavar="IRI", envvar="KPI_REGISTRY_BASE_IRI",
                  help="Base of the IRIs the registry mints (default https://w3id.org/u4ssc-registry/).")
    @functools.wraps(func)
    def wrapper(store_path: str | None, base_iri: str | None, **kwargs):
        return func(settings=Settings.from_env(store_path, base_iri), **kwargs)

    return wrapper


def progress(label: str) -> Callable[[str], None]:
    status = err.status(label)
    status.start()

    def step(message: str) -> None:
        status.update(f"{label}: {message}")
        if message == "done":
            status.stop()

    return step


def ready_store(settings: Settings) -> Store:
    """Open the store, building it from data/ first when it is new, so no one meets an empty store."""
    store = open_store(settings.store)
    if not is_built(store, settings.iris):
        err.print(f"[dim]{store.description} is empty: building it from data/ first[/]")
        step = progress("building")
        build(store, settings.iris, step)
        step("done")
    return store
