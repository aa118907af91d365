"""Configuration, read only at the edges (CLI flags, environment, a store config file) and passed down explicitly.

A remote store's settings come from, in this order: flags (endpoints only), `KPI_REGISTRY_<KEY>`
environment variables, then the `[store]` section of `--store-config FILE` (TOML or INI). Credentials
are never flags, so they stay out of shell history and `ps`; a file holding them must be private
(mode 600).
"""

from __future__ import annotations

import configparser
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from registry.namespaces import DEFAULT_BASE, IRIs
from registry.store import Credentials, Policy, RemoteConfig, StoreConfig

DEFAULT_STORE = Path(".store")
ENV_PREFIX = "KPI_REGISTRY_"
# Keys of a remote store's configuration: the file's `[store]` keys, and KPI_REGISTRY_<KEY> in the environment.
TEXT_KEYS = ("endpoint", "update_endpoint", "gsp_endpoint", "auth", "user", "password", "token")
NUMBER_KEYS = {"connect_timeout": float, "timeout": float, "retries": int, "batch_size": int}
SECRET_KEYS = ("password", "token")
AUTH_SCHEMES = ("basic", "digest", "bearer")


class ConfigError(ValueError):
    """The configuration is incomplete or contradicts itself (exit 2)."""


@dataclass(frozen=True)
class Settings:
    store: StoreConfig
    base_iri: str = DEFAULT_BASE

    @property
    def iris(self) -> IRIs:
        return IRIs(self.base_iri)

    @classmethod
    def from_env(cls, store: str | None = None, base_iri: str | None = None, *, endpoints: Mapping[str, str | None] = {},
                 store_config: Path | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
        """Flags win over KPI_REGISTRY_* variables, which win over the config file, which wins over defaults.

        `endpoints` are the flags `endpoint`, `update_endpoint`, `gsp_endpoint`; any endpoint makes the store remote.
        """
        base = base_iri or environ.get("KPI_REGISTRY_BASE_IRI") or DEFAULT_BASE
        file = store_config or (Path(environ["KPI_REGISTRY_STORE_CONFIG"]) if environ.get("KPI_REGISTRY_STORE_CONFIG") else None)
        values = {**(read_store_file(file) if file else {}), **_from_environ(environ),
                  **{k: v for k, v in endpoints.items() if v}}
        if store and endpoints.get("endpoint"):
            raise ConfigError("give either --store DIR or --endpoint URL, not both")
        if not store and values.get("endpoint"):
            if environ.get("KPI_REGISTRY_STORE"):
                raise ConfigError("KPI_REGISTRY_STORE and a SPARQL endpoint are both set: unset one, or give --store")
            return cls(StoreConfig(None, remote=remote_config(values, base)), base)
        if not store and any(values.get(k) for k in ("update_endpoint", "gsp_endpoint")):
            raise ConfigError("--update-endpoint and --gsp-endpoint need --endpoint (the query endpoint)")
        path = store or environ.get("KPI_REGISTRY_STORE") or str(DEFAULT_STORE)
        return cls(StoreConfig(None if path == ":memory:" else Path(path)), base)


def _from_environ(environ: Mapping[str, str]) -> dict[str, str]:
    return {key: environ[ENV_PREFIX + key.upper()] for key in (*TEXT_KEYS, *NUMBER_KEYS)
            if environ.get(ENV_PREFIX + key.upper())}


def read_store_file(path: Path) -> dict[str, str]:
    """The `[store]` section of a TOML (`.toml`) or INI file, as strings; unknown keys are refused (typos)."""
    try:
        if path.suffix == ".toml":
            with path.open("rb") as handle:
                section = tomllib.load(handle).get("store", {})
        else:
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
            section = dict(parser["store"]) if parser.has_section("store") else {}
    except (OSError, tomllib.TOMLDecodeError, configparser.Error) as exc:
        raise ConfigError(f"{path}: cannot read the store configuration: {exc}") from None
    unknown = sorted(set(section) - {*TEXT_KEYS, *NUMBER_KEYS})
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [store]: {', '.join(unknown)}")
    if any(section.get(k) for k in SECRET_KEYS) and path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} holds a password or token but others may read it: chmod 600 {path}")
    return {key: str(value) for key, value in section.items()}


def remote_config(values: Mapping[str, str], base_iri: str) -> RemoteConfig:
    """A RemoteConfig from merged string values (checked here, so a bad value fails before any request)."""
    numbers = {}
    for key, kind in NUMBER_KEYS.items():
        if key in values:
            try:
                numbers[key] = kind(values[key])
            except ValueError:
                raise ConfigError(f"{key}: not a number: {values[key]!r}") from None
            if numbers[key] < (0 if key == "retries" else 1e-3):
                raise ConfigError(f"{key}: must be positive, got {values[key]}")
    for key in ("endpoint", "update_endpoint", "gsp_endpoint"):
        if values.get(key) and not values[key].startswith(("http://", "https://")):
            raise ConfigError(f"{key}: not an http(s) URL: {values[key]!r}")
    policy = Policy(**{k: numbers[k] for k in ("connect_timeout", "timeout", "retries") if k in numbers})
    return RemoteConfig(
        endpoint=values["endpoint"], update_endpoint=values.get("update_endpoint"),
        gsp_endpoint=values.get("gsp_endpoint"), credentials=credentials(values), policy=policy,
        batch_size=int(numbers.get("batch_size", RemoteConfig.batch_size)), graph_prefix=IRIs(base_iri).base + "graph/",
    )


def credentials(values: Mapping[str, str]) -> Credentials:
    """HTTP auth: `auth` names the scheme; without it, a token means bearer and a user means basic."""
    scheme = values.get("auth") or ("bearer" if values.get("token") else "basic" if values.get("user") else None)
    if scheme and scheme not in AUTH_SCHEMES:
        raise ConfigError(f"auth: {scheme!r} is not one of {', '.join(AUTH_SCHEMES)}")
    if scheme == "bearer" and not values.get("token"):
        raise ConfigError("auth bearer needs a token (KPI_REGISTRY_TOKEN or token in the store config)")
    if scheme in ("basic", "digest") and not (values.get("user") and values.get("password")):
        raise ConfigError(f"auth {scheme} needs a user and a password (KPI_REGISTRY_USER / KPI_REGISTRY_PASSWORD)")
    return Credentials(scheme, values.get("user"), values.get("password"), values.get("token"))
