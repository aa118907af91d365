"""Rendering rows for people (tables) and machines (JSON, CSV): the CLI's only views."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from registry.sparql import plain


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def rows_to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else plain(row.get(c)) for c in columns])
    return buf.getvalue()


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], title: str | None = None,
                headers: Sequence[str] | None = None) -> None:
    table = Table(title=title, show_lines=False)
    for c, h in zip(columns, headers or columns):
        table.add_column(h, overflow="fold")
    for row in rows:
        table.add_row(*["" if row.get(c) is None else str(plain(row.get(c))) for c in columns])
    Console(soft_wrap=False).print(table)


def emit_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, title: str | None = None) -> None:
    """Print query rows in the requested format: table, json or csv."""
    if fmt == "json":
        print(to_json([{c: plain(r[c]) for c in columns if c in r} for r in rows]))
    elif fmt == "csv":
        sys.stdout.write(rows_to_csv(rows, columns))
    else:
        print_table(rows, columns, title)
