"""One canonical form for the RDF terms every backend returns.

Engines disagree on lexical forms that mean the same value: Virtuoso answers a stored `true` as
`"1"^^xsd:boolean`, a comparison as `"1"^^xsd:integer`, a double as `"100.0"`; Oxigraph answers
`"true"`, `true`, `"100"`. Callers compare terms, so a remote store turns every literal into the
form Oxigraph (the embedded store) gives: XSD canonical numbers and booleans, RDF 1.1 plain strings.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

_XSD = str(XSD)
_INTEGERS = {_XSD + name for name in (
    "integer", "long", "int", "short", "byte", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
    "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_DECIMAL, _DOUBLE, _FLOAT = _XSD + "decimal", _XSD + "double", _XSD + "float"
_BOOLEAN, _STRING = _XSD + "boolean", _XSD + "string"
_BOOLEANS = {"true": "true", "1": "true", "false": "false", "0": "false"}


def canonical_lexical(lexical: str, datatype: str) -> str:
    """The canonical lexical form of a number or boolean (Oxigraph's); other values unchanged.

    An invalid lexical form is returned as it is: it is a value the engine stored, not ours to fix.
    """
    text = lexical.strip()
    try:
        if datatype == _BOOLEAN:
            return _BOOLEANS.get(text, lexical)
        if datatype in _INTEGERS:
            return str(int(text))
        if datatype == _DECIMAL:
            return _decimal(Decimal(text))
        if datatype in (_DOUBLE, _FLOAT):
            return ox.Literal(float(text)).value  # Oxigraph's own rendering: "100", "0.0000001", "INF"
    except (ValueError, InvalidOperation):
        pass
    return lexical


def _decimal(value: Decimal) -> str:
    """XSD 1.1 canonical decimal as Oxigraph writes it: no exponent, no trailing zeros, `96` not `96.0`."""
    if value.is_zero():
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def canonical_json(term: dict) -> dict:
    """A term of SPARQL 1.1 Query Results JSON (§3.2.2) in canonical form; the SPARQL 1.0 `typed-literal`
    becomes `literal`, an xsd:string datatype is dropped (RDF 1.1: the same term), Virtuoso's `nodeID://`
    blank node labels lose their scheme."""
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return {"type": "uri", "value": value}
    if kind == "bnode":
        return {"type": "bnode", "value": value.removeprefix("nodeID://")}
    if term.get("xml:lang"):
        return {"type": "literal", "value": value, "xml:lang": term["xml:lang"].lower()}
    datatype = term.get("datatype")
    if not datatype or datatype == _STRING:
        return {"type": "literal", "value": value}
    return {"type": "literal", "value": canonical_lexical(value, datatype), "datatype": datatype}


def from_json(term: dict) -> Node:
    """An rdflib term from SPARQL JSON, as the embedded store gives it (xsd:string literals plain)."""
    term = canonical_json(term)
    if term["type"] == "uri":
        return URIRef(term["value"])
    if term["type"] == "bnode":
        return BNode(term["value"])
    if "xml:lang" in term:
        return Literal(term["value"], lang=term["xml:lang"])
    return Literal(term["value"], datatype=URIRef(term["datatype"]) if "datatype" in term else None)


def canonical_ox(term):
    """The same canonical form for a pyoxigraph term (used when re-serialising a remote answer)."""
    if not isinstance(term, ox.Literal) or term.language:
        return term
    datatype = term.datatype.value
    lexical = canonical_lexical(term.value, datatype)
    return term if lexical == term.value else ox.Literal(lexical, datatype=term.datatype)
