"""Reading RDF that a user sent: the one place that knows the safe way to read each syntax.

A submission file is parsed by Oxigraph's parsers, which have no document loader: a JSON-LD `@context`
or `@import` that names a URL (or a `file:` path) cannot be fetched and the file is refused, and
`owl:imports` is a triple like any other, never followed. RDF/XML needs no DTD, while a DTD's entity
declarations can expand a kilobyte into gigabytes ("billion laughs") or name other files, so a
`<!DOCTYPE` is refused before parsing. Files are read whole, up to MAX_BYTES.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from registry.store.oxigraph import to_rdflib
from registry.tables import DataError

MAX_BYTES = 16 * 1024 * 1024  # a full submission in N-Triples is about 0.3 MB
FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD,
           ".json": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML}
_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def read_bytes(path: Path, data: bytes | None = None) -> bytes:
    """The file's bytes, refused when larger than MAX_BYTES (checked before reading). `data`, when given, are
    the file's bytes already (an upload to the server, never written to disk): `path` only names it."""
    if data is not None:
        if len(data) > MAX_BYTES:
            raise DataError(f"{path}: {len(data):,} bytes, more than the {MAX_BYTES:,} a submission may have")
        return data
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"{path}: {size:,} bytes, more than the {MAX_BYTES:,} a submission may have")
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None


def read_rdf(path: Path, data: bytes | None = None) -> Graph:
    """A user's RDF file (or `data`, named `path`) as a graph, without opening any connection or other file."""
    return parse_rdf_bytes(path, read_bytes(path, data))


def parse_rdf_bytes(path: Path, data: bytes) -> Graph:
    """`data`, read from `path` (whose suffix names the syntax), as a graph; see the module docstring."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unknown format; use {', '.join(FORMATS)}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    if fmt == ox.RdfFormat.RDF_XML and (found := _DOCTYPE.search(text)):
        line = text.count("\n", 0, found.start()) + 1
        raise DataError(f"{path}:{line}: a DTD ({found[0]}) is refused: its entities could expand without bound "
                        "or read other files; save the RDF/XML without one")
    try:
        triples = [quad.triple for quad in ox.parse(text.encode("utf-8"), format=fmt)]
    except SyntaxError as exc:
        raise DataError(f"{path}: cannot parse as {fmt.name}: {_reason(exc)}") from None
    graph = Graph()
    with _quiet(logging.getLogger("rdflib.term")):
        for t in triples:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """rdflib logs a traceback for each ill-typed literal ("abc"^^xsd:decimal) it is given; the literal is
    kept as written and the rules refuse it (NUM-1, OBS-6) with a message a person can act on."""
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _reason(exc: SyntaxError) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "LoadDocumentCallback" in message:  # Oxigraph asked for a loader it does not have
        return "a JSON-LD @context or @import that names a document is refused (no document is fetched): put the context inline"
    return message
