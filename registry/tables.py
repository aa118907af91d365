"""The project's own files and tables: where `ontology/`, `shapes/`, `queries/` and `data/` are, and reading
any CSV/TSV table (the project's or a user's) with errors that name file and line.

The assets sit beside the package in the source tree (the layout the project documents), so an
editable install or a checkout finds them; KPI_REGISTRY_HOME points elsewhere when needed.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


class DataError(ValueError):
    """A data file is unreadable or breaks a rule; the message names the file and line."""


class Refusal(DataError):
    """Input that was read but is refused because of what the store already holds (exit 1, not 2)."""


def read_table(path: Path, required: tuple[str, ...] = (), delimiter: str | None = None,
               quoting: int = csv.QUOTE_MINIMAL) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 TSV/CSV, checking the header names `required` columns.

    `quoting=csv.QUOTE_NONE` keeps double quotes as data (cells holding RDF literals).
    """
    delimiter = delimiter or ("\t" if path.suffix == ".tsv" else ",")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter, quoting=quoting)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}:1: missing column(s) {', '.join(missing)}")
            for row in reader:
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from exc


def split_list(cell: str) -> list[str]:
    """`5;9;17` → ['5', '9', '17']; the reference tables separate lists with semicolons."""
    return [part.strip() for part in cell.split(";") if part.strip()]


def project_root() -> Path:
    return Path(os.environ.get("KPI_REGISTRY_HOME", _ROOT))


def asset_dir(name: str) -> Path:
    """`ontology`, `shapes`, `queries` or `data` under the project root."""
    return project_root() / name
