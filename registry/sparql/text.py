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
# SPARQL 1.1 Update §3: the words an update operation starts with (after the prologue).
_UPDATE_OPERATIONS = ("INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
_FIRST_WORD = _keyword(f"({'|'.join(_FORMS + _UPDATE_OPERATIONS)})")
_SERVICE = _keyword("SERVICE")
_LOAD = _keyword("LOAD")
_FROM = _keyword("FROM")
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\"{}|^`\\\x00-\x20]*)>", re.IGNORECASE)
_FROM_TARGET = re.compile(r"\s+(?P<named>NAMED\s+)?(?:<(?P<iri>[^<>\"{}|^`\\\x00-\x20]*)>|(?P<pname>[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*))",
                          re.IGNORECASE)


def _decode_escapes(text: str) -> str:
    def char(m: re.Match[str]) -> str:
        code = int(m[1] or m[2], 16)
        return chr(code) if code <= 0x10FFFF else ""

    return _ESCAPE.sub(char, text)


def _code(text: str) -> str:
    """The query with comments, string literals and IRIs blanked (same length: positions stay those of
    `text`), so only syntax is left."""
    return _LEXEMES.sub(lambda m: " " * len(m[0]), text)


def _variants(text: str) -> tuple[str, ...]:
    decoded = _decode_escapes(text)
    return (_code(text),) if decoded == text else (_code(text), _code(decoded))


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the form decides which result formats apply."""
    match = _FORM.search(_code(text))
    return match[1].upper() if match else None


def is_update(text: str) -> bool:
    """Is the text an update rather than a query? The first operation word decides: an update's WHERE may hold a
    sub-select, so a query form appearing somewhere in it (what `query_form` finds) does not make it a query."""
    match = _FIRST_WORD.search(_code(text))
    return match is not None and match[1].upper() in _UPDATE_OPERATIONS


def has_dataset_clause(text: str) -> bool:
    """Does the query name its own dataset with FROM / FROM NAMED (SPARQL 1.1 Query §13.2)? FROM is a
    reserved word, so outside strings, IRIs and comments it can only be the dataset clause."""
    return _FROM.search(_code(text)) is not None


def dataset_of(text: str) -> tuple[list[str], list[str]] | None:
    """The IRIs of the query's FROM and FROM NAMED clauses, or None when it has none or one that this
    reader cannot resolve (a relative IRI, an undeclared prefix): then the server must read the clause."""
    code = _code(text)
    prefixes = {m[1] or "": m[2] for m in _PREFIX_DECL.finditer(text) if code[m.start()] != " "}
    default, named = [], []
    for match in _FROM.finditer(code):
        target = _FROM_TARGET.match(text, match.end())
        if target is None:
            return None
        iri = target["iri"] if target["iri"] is not None else _expand(prefixes, target["pname"])
        if iri is None or ":" not in iri:
            return None
        (named if target["named"] else default).append(iri)
    return (default, named) if default or named else None


def _expand(prefixes: dict[str, str], pname: str) -> str | None:
    prefix, _, local = pname.partition(":")
    return prefixes[prefix] + local if prefix in prefixes else None


def nesting_depth(text: str) -> int:
    """How deeply ( { [ nest in the text, outside strings, IRIs and comments."""
    depth = deepest = 0
    for char in _code(text):
        if char in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")}]":
            depth -= 1
    return deepest


def declares_base(text: str) -> bool:
    """Does the text set its own base IRI (a BASE declaration, Query §4.1.1.1)? BASE is a reserved word."""
    return _keyword("BASE").search(_code(text)) is not None


def uses_service(text: str) -> bool:
    """Does the query or update federate (SPARQL 1.1 Federated Query §3)?"""
    return any(_SERVICE.search(code) for code in _variants(text))


def uses_load(text: str) -> bool:
    """Does the update fetch a document (SPARQL 1.1 Update §3.1.4 LOAD)?"""
    return any(_LOAD.search(code) for code in _variants(text))


_IRI_REF = re.compile(r"""[^<>"{}|^`\\\x00-\x20]+""")


def iri_ref(iri: str) -> str:
    """`<iri>` for SPARQL text, or ValueError when `iri` has a character IRIREF excludes (Query §19.8,
    rule [139]), which could otherwise end the IRI and inject syntax."""
    if not _IRI_REF.fullmatch(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


_USING_OR_WITH = _keyword("(USING|WITH)")
_WHERE = _keyword("WHERE")
_DELETE_BEFORE = re.compile(r"DELETE\s*$", re.IGNORECASE)


def _top_level_wheres(code: str) -> list[int]:
    """Where each operation's own WHERE starts: the keyword outside every brace (one inside is a subquery's)."""
    depth, found = 0, []
    for match in re.finditer(r"[{}]|" + _WHERE.pattern, code, re.IGNORECASE):
        if match[0] in "{}":
            depth += 1 if match[0] == "{" else -1
        elif depth == 0:
            found.append(match.start())
    return found


def _closing_brace(code: str, start: int) -> int:
    """The position just past the group that opens at the first `{` from `start`."""
    depth = 0
    for i in range(code.index("{", start), len(code)):
        depth += {"{": 1, "}": -1}.get(code[i], 0)
        if depth == 0:
            return i + 1
    raise ValueError("an unclosed group")


_CONSTRUCT = _keyword("CONSTRUCT")


def construct_as_insert(text: str, graph: str) -> str:
    """`CONSTRUCT {T} WHERE {P}` as the update `INSERT { GRAPH <graph> {T} } WHERE {P}`: the same template and
    pattern (Update §3.1.3), so a graph derived by a CONSTRUCT can also be written inside one update request.
    The prologue (PREFIX, BASE) is kept; ValueError for a text that is not a CONSTRUCT with a template."""
    code = _code(text)
    found = _CONSTRUCT.search(code)
    if found is None or not code[found.end():].lstrip().startswith("{"):
        raise ValueError("not a CONSTRUCT query with a template")
    end = _closing_brace(code, found.end())
    template = text[code.index("{", found.end()):end]
    return f"{text[:found.start()]}INSERT {{ GRAPH {iri_ref(graph)} {template} }}{text[end:]}"


_PROLOGUE_DECL = re.compile(r"(?:PREFIX\s+(?P<name>[A-Za-z][\w.-]*)?:\s*<(?P<iri>[^<>\"{}|^`\\\x00-\x20]*)>|BASE\b)",
                            re.IGNORECASE)


def update_request(operations: list[str]) -> str:
    """Several update operations as one request (Update §3: `op ; op`), their prologues first. The grammar
    allows a prologue after each `;`, but Oxigraph accepts one only at the start, so each operation's PREFIX
    declarations are moved there; ValueError when two operations bind one prefix differently, or use BASE."""
    prefixes: dict[str, str] = {}
    bodies = []
    for text in operations:
        code, start = _code(text), 0
        # Comments are blank in `code`; declarations are read from `text`, where their IRIs are.
        while (found := _PROLOGUE_DECL.match(text, len(code) - len(code[start:].lstrip()))) is not None:
            if found["iri"] is None:
                raise ValueError("an operation with BASE cannot be joined to others")
            declared = text[found.start("iri"):found.end("iri")]
            if prefixes.setdefault(found["name"] or "", declared) != declared:
                raise ValueError(f"prefix {found['name'] or ''}: bound to two IRIs in one request")
            start = found.end()
        bodies.append(text[start:].strip())
    head = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
    return head + " ;\n".join(bodies)


def with_using(text: str, default: list[str], named: list[str]) -> str:
    """The update with the protocol's dataset (`using-graph-uri`, `using-named-graph-uri`: Protocol §2.2.3)
    written into it as USING / USING NAMED before each operation's WHERE (Update §3.1.3), since the store's
    update API takes no dataset. DELETE WHERE {P} allows no USING, so it becomes DELETE {P} USING … WHERE {P},
    its meaning (Update §3.1.3.3). ValueError for an update that names its own dataset with USING or WITH
    (Protocol §2.2.3: the request is then in error), or whose keywords hide in codepoint escapes."""
    if not (default or named):
        return text
    if any(_USING_OR_WITH.search(code) for code in _variants(text)):
        raise ValueError("an update with USING, USING NAMED or WITH takes no using-graph-uri / "
                         "using-named-graph-uri (SPARQL 1.1 Protocol §2.2.3)")
    code = _code(text)
    wheres = _top_level_wheres(code)
    if any(len(_top_level_wheres(variant)) != len(wheres) for variant in _variants(text)):
        raise ValueError("write WHERE without codepoint escapes to use using-graph-uri / using-named-graph-uri")
    using = " ".join([f"USING {iri_ref(g)}" for g in default] + [f"USING NAMED {iri_ref(g)}" for g in named])
    pieces, done = [], 0
    for where in wheres:
        delete = _DELETE_BEFORE.search(code, 0, where)
        if delete:  # DELETE WHERE {P} → DELETE {P} USING … WHERE {P}
            end = _closing_brace(code, where)
            pattern = text[code.index("{", where):end]
            pieces += [text[done:delete.start()], f"DELETE {pattern} {using} WHERE {pattern}"]
            done = end
        else:
            pieces += [text[done:where], f"{using} "]
            done = where
    return "".join(pieces) + text[done:]
