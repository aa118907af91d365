"""What every CLI verb shares: store options, error classes, progress, the ready store.

Feature modules define their own click commands with these helpers; `registry.cli` adds them.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from registry.build.seeds import build, is_built
from registry.config import ConfigError, Settings
from registry.sparql import QueryError
from registry.store import Store, StoreConfig, StoreError, open_store
from registry.tables import DataError, Refusal

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
        except BrokenPipeError:
            # The reader went away (`kpi-registry export | head`): not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Refusal as exc:
            raise Refused(str(exc)) from None
        except (DataError, StoreError, QueryError, ConfigError, OSError) as exc:
            raise Fatal(str(exc)) from None


def store_options(func: Callable) -> Callable:
    """The store's options on every verb (an embedded directory, or a remote SPARQL server); resolved
    into Settings once. Credentials are read from the environment or --store-config, never from flags."""

    @click.option("--store", "store_path", metavar="DIR",
                  help="Embedded store directory (default .store/ or $KPI_REGISTRY_STORE; ':memory:' for a throwaway store).")
    @click.option("--endpoint", metavar="URL",
                  help="Use a remote SPARQL 1.1 server: its query endpoint (or $KPI_REGISTRY_ENDPOINT).")
    @click.option("--update-endpoint", metavar="URL", help="Its SPARQL Update endpoint (default: --endpoint).")
    @click.option("--gsp-endpoint", metavar="URL",
                  help="Its Graph Store Protocol endpoint, for bulk loads (default: none, INSERT DATA in batches).")
    @click.option("--store-config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                  help="TOML or INI file with a [store] section: endpoints, auth, user, password, token, timeouts "
                       "(or $KPI_REGISTRY_STORE_CONFIG).")
    @click.option("--base-iri", metavar="IRI", envvar="KPI_REGISTRY_BASE_IRI",
                  help="Base of the IRIs the registry mints (default https://w3id.org/u4ssc-registry/).")
    @functools.wraps(func)
    def wrapper(store_path: str | None, endpoint: str | None, update_endpoint: str | None, gsp_endpoint: str | None,
                store_config: Path | None, base_iri: str | None, **kwargs):
        endpoints = {"endpoint": endpoint, "update_endpoint": update_endpoint, "gsp_endpoint": gsp_endpoint}
        settings = Settings.from_env(store_path, base_iri, endpoints=endpoints, store_config=store_config)
        return func(settings=replace(settings, store=replace(settings.store, progress=load_bar)), **kwargs)

    return wrapper


LARGE_LOAD = 100_000  # triples; a smaller load takes seconds and a bar would only flicker


@contextmanager
def _bar(title: str, description: str, total: int | None) -> Iterator[tuple[Progress, TaskID]]:
    """A transient rich progress bar on stderr and its one task."""
    columns = (TextColumn(title), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        yield bar, bar.add_task(description, total=total)


@contextmanager
def load_bar(graph: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for a large load into a remote server (none when stderr is not a terminal)."""
    if total < LARGE_LOAD or not err.is_terminal:
        yield lambda n: None
        return
    with _bar("loading {task.description}", graph.rsplit("/graph/", 1)[-1], total) as (bar, task):
        yield lambda n: bar.advance(task, n)


@contextmanager
def validation_bar() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for validating many submissions (none when stderr is not a terminal)."""
    if not err.is_terminal:
        yield lambda done, total: None
        return
    with _bar("validating", "validating", None) as (bar, task):
        yield lambda done, total: bar.update(task, completed=done, total=total)


def progress(label: str) -> Callable[[str], None]:
    status = err.status(label)
    status.start()

    def step(message: str) -> None:
        status.update(f"{label}: {message}")
        if message == "done":
            status.stop()

    return step


def ready_store(settings: Settings, writes: bool = False) -> Store:
    """Open the store, building it from data/ first when it is new, so no one meets an empty store.

    A verb that only reads opens it read-only: the embedded store then opens beside a writer (an
    import, `serve --allow-update`) instead of failing on its lock, and reads what was last committed.
    """
    if not writes and _exists(settings.store):
        store = open_store(replace(settings.store, read_only=True))
        if is_built(store, settings.iris):
            return store
        store.close()
    store = open_store(settings.store)
    if not is_built(store, settings.iris):
        err.print(f"[dim]{store.description} is empty: building it from data/ first[/]")
        step = progress("building")
        build(store, settings.iris, step)
        step("done")
    return store


def _exists(config: StoreConfig) -> bool:
    """A store there is to open read-only: a remote server, or an embedded store already on disk."""
    return config.remote is not None or (config.path is not None and (config.path / "CURRENT").is_file())
