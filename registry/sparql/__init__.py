"""Query files, parameter binding and result terms as plain values, shared by every Store backend.

What a query text holds (its form, what it would fetch) is in `registry.sparql.text`. A foundation: it
May import: `tables` only.

Each query in `queries/` that takes parameters holds one placeholder line such as
`VALUES (?city ?round) { (UNDEF UNDEF) }`: as written it matches everything, so the file runs
unchanged in YASGUI; `bind` swaps the UNDEF row for RDF terms serialised by `to_sparql`, the one
escaping function. User input therefore never becomes SPARQL text, and the same text runs on
Oxigraph, Virtuoso or rdflib (pyoxigraph's own substitutions only bind projected variables).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from registry.sparql.text import is_update
from registry.tables import asset_dir

_PLACEHOLDER = re.compile(
    r"^(?P<indent>[ \t]*)VALUES[ \t]*\((?P<vars>[?$\w \t]+)\)[ \t]*\{[ \t]*\((?:[ \t]*UNDEF)+[ \t]*\)[ \t]*\}[ \t]*$",
    re.MULTILINE,
)
_PARAM = re.compile(r"^#\s*@param\s+\??(?P<name>\w+)\s+(?P<doc>.*)$", re.MULTILINE)
_ECHARS = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class QueryError(ValueError):
    """A query cannot be run as asked (unknown file, unbound required parameter, bad value)."""


def to_sparql(term: Node) -> str:
    """Serialise one RDF term in SPARQL/N-Triples syntax; the only way values enter query text."""
    if isinstance(term, URIRef):
        text = str(term)
        if any(c in text for c in '<>"{}|^`\\ \n\r\t'):
            raise QueryError(f"not a valid IRI: {text!r}")
        return f"<{text}>"
    if isinstance(term, Literal):
        body = "".join(_ECHARS.get(c, c) for c in str(term))
        if term.language:
            return f'"{body}"@{term.language}'
        if term.datatype:
            return f'"{body}"^^{to_sparql(URIRef(term.datatype))}'
        return f'"{body}"'
    if isinstance(term, BNode):
        raise QueryError("blank nodes cannot be bound as query parameters")
    raise QueryError(f"cannot bind {term!r}: not an RDF term")


@dataclass(frozen=True)
class Param:
    name: str
    doc: str

    @property
    def required(self) -> bool:
        return "(required)" in self.doc


@dataclass(frozen=True)
class QueryFile:
    """One `.rq` file: its text and the parameters its header declares."""

    name: str
    text: str
    params: tuple[Param, ...]

    @property
    def title(self) -> str:
        """The first header comment line: what question the query answers."""
        for line in self.text.splitlines():
            if line.startswith("#") and not line.startswith("# @"):
                return line.lstrip("# ").strip()
        return self.name

    @property
    def is_update(self) -> bool:
        """A SPARQL 1.1 Update, which no read-only endpoint runs and whose answer is what it changes."""
        return is_update(self.text)

    def bind(self, bindings: dict[str, Node | list[Node] | None] | None = None) -> str:
        return bind(self.text, bindings, self.params, self.name)


def bind(text: str, bindings: dict | None, params: tuple[Param, ...] = (), name: str = "query") -> str:
    """Return `text` with its VALUES placeholder filled from `bindings` (None or [] = unbound)."""
    bindings = {k.lstrip("?$"): v for k, v in (bindings or {}).items() if v is not None and v != []}
    missing = [p.name for p in params if p.required and p.name not in bindings]
    if missing:
        raise QueryError(f"{name}: required parameter(s) unbound: {', '.join('?' + m for m in missing)}")
    if not bindings:
        return text
    match = _PLACEHOLDER.search(text)
    if not match:
        raise QueryError(f"{name}: takes no parameters, but got {', '.join(sorted(bindings))}")
    variables = [v.lstrip("?$") for v in match["vars"].split()]
    unknown = sorted(set(bindings) - set(variables))
    if unknown:
        raise QueryError(f"{name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(variables)}")
    columns = [
        [to_sparql(t) for t in (v if isinstance(v, (list, tuple)) else [v])] if (v := bindings.get(var)) else ["UNDEF"]
        for var in variables
    ]
    rows = " ".join("(" + " ".join(row) + ")" for row in itertools.product(*columns))
    line = f"{match['indent']}VALUES ({' '.join('?' + v for v in variables)}) {{ {rows} }}"
    return text[: match.start()] + line + text[match.end():]


@cache
def load(name: str) -> QueryFile:
    """Load `queries/{name}.rq` once per process."""
    path = asset_dir("queries") / f"{name.removesuffix('.rq')}.rq"
    if not path.is_file():
        raise QueryError(f"no query named {name!r} in {path.parent}")
    return parse_file(path)


def parse_file(path: Path) -> QueryFile:
    text = path.read_text(encoding="utf-8")
    params = tuple(Param(m["name"], m["doc"].strip()) for m in _PARAM.finditer(text))
    return QueryFile(path.stem, text, params)


def available() -> list[QueryFile]:
    """Every query shipped in `queries/`, by name."""
    return [load(p.stem) for p in sorted(asset_dir("queries").glob("*.rq"))]


# The Data Cube spec's placeholder in IC-20 / IC-21 (§11.1): a template, not a query, until registry.cube
# puts each qb:parentChildProperty in its place.
TEMPLATE = "<$p>"


def examples() -> list[QueryFile]:
    """The queries the endpoint's form offers: every shipped one that runs as written on a read-only
    endpoint (not an update, nor a template, which would parse, `<$p>` being a relative IRI, and answer a
    question nobody asked)."""
    return [q for q in available() if TEMPLATE not in q.text and not q.is_update]


def plain(term: Node | Any) -> Any:
    """An RDF term as a JSON-friendly Python value (numbers stay numbers, IRIs become strings)."""
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value if isinstance(value, (int, float, bool)) else str(term)
    if isinstance(term, URIRef):
        return str(term)
    return term if term is None or isinstance(term, (int, float, bool, str, list, dict)) else str(term)
