"""The Flask application: SPARQL 1.1 endpoint and linked data over one Store.

`create_app` is the only way in (application factory); each area is a blueprint that reaches
the store through `registry_context()`, never through globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from ..config import Settings
from ..namespaces import IRIs
from ..store import Store, open_store

EXTENSION = "kpi_registry"


@dataclass
class RegistryContext:
    """What every blueprint needs: the store, the IRI minter, the settings and a cache."""

    store: Store
    iris: IRIs
    settings: Settings
    options: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)


def registry_context() -> RegistryContext:
    return current_app.extensions[EXTENSION]


def create_app(settings: Settings, store: Store | None = None, **options: Any) -> Flask:
    """Build the app over `store` (or the store `settings` names); `options` tune the endpoint."""
    app = Flask(__name__)
    app.extensions[EXTENSION] = RegistryContext(store or open_store(settings.store), settings.iris, settings, options)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    return app


def _blueprints() -> list:
    """Blueprints, registered in this order (linked data last: it answers every other path)."""
    return []
