"""Store backends behind one interface; `open_store` picks one from a configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import Payload, Row, Store, StoreError
from .oxigraph import OxigraphStore

__all__ = ["Payload", "Row", "Store", "StoreError", "StoreConfig", "open_store", "OxigraphStore"]


@dataclass(frozen=True)
class StoreConfig:
    """Where the data lives: an embedded store directory (None = in memory)."""

    path: Path | None = Path(".store")
    read_only: bool = False


def open_store(config: StoreConfig) -> Store:
    return OxigraphStore(config.path, read_only=config.read_only)
