"""Configuration, read only at the edges (CLI flags, environment) and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .namespaces import DEFAULT_BASE, IRIs
from .store import StoreConfig

DEFAULT_STORE = Path(".store")


@dataclass(frozen=True)
class Settings:
    store: StoreConfig
    base_iri: str = DEFAULT_BASE

    @property
    def iris(self) -> IRIs:
        return IRIs(self.base_iri)

    @classmethod
    def from_env(cls, store: str | None = None, base_iri: str | None = None) -> Settings:
        """Flags win over KPI_REGISTRY_STORE / KPI_REGISTRY_BASE_IRI, which win over defaults."""
        path = store or os.environ.get("KPI_REGISTRY_STORE") or str(DEFAULT_STORE)
        base = base_iri or os.environ.get("KPI_REGISTRY_BASE_IRI") or DEFAULT_BASE
        return cls(StoreConfig(None if path == ":memory:" else Path(path)), base)
