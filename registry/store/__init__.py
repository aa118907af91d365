"""Store backends behind one interface; `open_store` picks one from a configuration.

The rest of the code never knows which backend it has. May import: `sparql` (query text and binding)
and `tables` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from registry.store.base import Derived, Payload, Row, Store, StoreError
from registry.store.http import Credentials, Policy, StoreTimeout, StoreUnavailable
from registry.store.oxigraph import OxigraphStore
from registry.store.remote import LoadProgress, RemoteConfig, RemoteStore

__all__ = ["Credentials", "Derived", "LoadProgress", "Payload", "Policy", "Row", "Store", "StoreError", "StoreConfig",
           "StoreTimeout", "StoreUnavailable", "open_store", "OxigraphStore", "RemoteConfig", "RemoteStore"]


@dataclass(frozen=True)
class StoreConfig:
    """Where the data lives: a remote SPARQL server, else an embedded store directory (None = in memory)."""

    path: Path | None = Path(".store")
    read_only: bool = False
    remote: RemoteConfig | None = None
    progress: LoadProgress | None = field(default=None, compare=False, repr=False)  # reports remote bulk loads

    @property
    def location(self) -> str:
        """What a person would call this store in a message."""
        if self.remote:
            return self.remote.endpoint
        return str(self.path) if self.path else ":memory:"


def open_store(config: StoreConfig) -> Store:
    if config.remote is not None:
        return RemoteStore(config.remote, read_only=config.read_only, progress=config.progress)
    return OxigraphStore(config.path, read_only=config.read_only)
