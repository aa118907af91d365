"""What must be known about a query text before running it: its form and what it would reach.

Oxigraph evaluates `SERVICE` and `LOAD` by fetching the IRI over HTTP, so a public endpoint that
passes them through is an open proxy. pyoxigraph exposes no syntax tree, hence a small lexer:
comments, strings and IRIs are blanked out and keywords are looked for in what remains. It errs
towards refusing (a keyword-like local name such as `ex:a-SERVICE` is refused too), never the other
way, and it looks at the text both with and without `\\u` escapes decoded, since SPARQL 1.1 §19.2
lets codepoint escapes appear anywhere.
"""

from __future__ import annotations

import re

_LEXEMES = re.compile(
    r'''"""(?:[^"\\]|\\.|"(?!""))*(?:"""|$)'''
    r"""|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)"""
    r'''|"(?:[^"\\\n\r]|\\.)*"?'''
    r"""|'(?:[^'\\\n\r]|\\.)*'?"""
    r"""|<[^<>"{}|^`\\\x00-\x20]*>"""
    r"""|\#[^\n\r]*""",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _keyword(word: str) -> re.Pattern[str]:
    # Not part of a prefixed name, variable, blank node label or language tag.
    return re.compile(rf"(?<![\w:?$@\-.]){word}(?![\w:\-])", re.IGNORECASE)


_FORM = _keyword(f"({'|'.join(_FORMS)})")
_SERVICE = _keyword("SERVICE")
_LOAD = _keyword("LOAD")


def _decode_escapes(text: str) -> str:
    def char(m: re.Match[str]) -> str:
        code = int(m[1] or m[2], 16)
        return chr(code) if code <= 0x10FFFF else ""

    return _ESCAPE.sub(char, text)


def _code(text: str) -> str:
    """The query with comments, string literals and IRIs blanked: only syntax is left."""
    return _LEXEMES.sub(" ", text)


def _variants(text: str) -> tuple[str, ...]:
    decoded = _decode_escapes(text)
    return (_code(text),) if decoded == text else (_code(text), _code(decoded))


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the form decides which result formats apply."""
    match = _FORM.search(_code(text))
    return match[1].upper() if match else None


def uses_service(text: str) -> bool:
    """Does the query or update federate (SPARQL 1.1 Federated Query §3)?"""
    return any(_SERVICE.search(code) for code in _variants(text))


def uses_load(text: str) -> bool:
    """Does the update fetch a document (SPARQL 1.1 Update §3.1.4 LOAD)?"""
    return any(_LOAD.search(code) for code in _variants(text))
