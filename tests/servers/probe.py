"""Probe a running SPARQL 1.1 server for the behaviours the README's deviation list is about.

Usage (key=value lines as printed by `virtuoso.sh start` / `oxigraph.sh start`):

    tests/servers/virtuoso.sh status DIR > /tmp/v.env
    .venv/bin/python tests/servers/probe.py /tmp/v.env [more.env ...] [--only=queries,updates,gsp,misc,batches]

With several env files the results are printed side by side.  Nothing is
asserted: this is a diagnostic that prints what each server answers.  It
writes only graphs under <urn:x-probe:...> and drops them again.
"""

from __future__ import annotations

import sys
import time

import requests
from requests.auth import HTTPDigestAuth

XSD = "http://www.w3.org/2001/XMLSchema#"
P = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\nPREFIX ex: <http://example.org/>\n"


def read_env(path: str) -> dict[str, str]:
    env: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


class Server:
    def __init__(self, env: dict[str, str]):
        self.name = env.get("server", "?")
        self.query_url = env["endpoint"]
        self.update_url = env["update"]
        self.gsp_url = env["gsp"]
        self.auth = None
        if env.get("auth") == "digest":
            self.auth = HTTPDigestAuth(env["user"], env["password"])
        self.s = requests.Session()

    def query(self, q: str, accept: str = "application/sparql-results+json") -> requests.Response:
        return self.s.post(self.query_url, data={"query": P + q}, headers={"Accept": accept}, timeout=120)

    def update(self, u: str) -> requests.Response:
        return self.s.post(self.update_url, data={"update": P + u}, auth=self.auth, timeout=300)

    def gsp(self, method: str, graph: str | None, body: bytes | None = None,
            ctype: str = "text/turtle", accept: str = "application/n-triples") -> requests.Response:
        params = {"graph": graph} if graph else {"default": ""}
        headers = {"Accept": accept} if method == "GET" else {}
        if body is not None:
            headers["Content-Type"] = ctype
        return self.s.request(method, self.gsp_url, params=params, data=body, headers=headers,
                              auth=self.auth, timeout=120)


def term(b: dict) -> str:
    t = b["type"]
    v = b["value"]
    if t == "uri":
        return f"<{v}>"
    if t == "bnode":
        return "_:b"
    dt = b.get("datatype")
    lang = b.get("xml:lang")
    s = '"' + v.replace("\n", "\\n") + '"'
    if lang:
        return f"{s}@{lang}"
    if dt:
        return s + "^^" + (dt.replace(XSD, "xsd:") if dt.startswith(XSD) else f"<{dt}>")
    return s + ("(typed-literal,no-dt)" if t == "typed-literal" else "")


def show(r: requests.Response) -> str:
    if r.status_code >= 400:
        return f"HTTP {r.status_code}: " + " ".join(r.text.split())[:160]
    ct = r.headers.get("Content-Type", "")
    if "json" not in ct:
        return f"[{ct}] " + " ".join(r.text.split())[:200]
    j = r.json()
    if "boolean" in j:
        return f"ASK {j['boolean']}"
    vars_ = j["head"].get("vars", [])
    rows = []
    for row in j["results"]["bindings"]:
        rows.append(" ".join(f"{v}={term(row[v])}" if v in row else f"{v}=UNBOUND" for v in vars_))
    return " | ".join(rows) if rows else "(no rows)"


QUERIES: list[tuple[str, str]] = [
    ("int division 1/2", "SELECT (1/2 AS ?x) (7/2 AS ?y) (-7/2 AS ?z) {}"),
    ("decimal/double division", "SELECT (1.0/3 AS ?d) (1.0e0/4 AS ?e) (4/2 AS ?f) {}"),
    ("division by zero", "SELECT (1/0 AS ?x) (1.0/0 AS ?y) (1e0/0 AS ?z) {}"),
    ("decimal arithmetic", "SELECT (0.1+0.2 AS ?a) (96.00*1 AS ?b) (2.50*2 AS ?c) (10.0/4 AS ?d) {}"),
    ("ROUND", "SELECT (ROUND(2.5) AS ?a) (ROUND(-2.5) AS ?b) (ROUND(95.996) AS ?c) (ROUND(2.4e0) AS ?d) (ROUND(3) AS ?e) {}"),
    ("ROUND to 2 places idiom", "SELECT (ROUND(96.456*100)/100 AS ?a) (ROUND(1.005*100)/100 AS ?b) {}"),
    ("CEIL/FLOOR/ABS", "SELECT (CEIL(2.1) AS ?a) (FLOOR(-2.1) AS ?b) (ABS(-3) AS ?c) (ABS(-2.5) AS ?d) {}"),
    ("STR of decimals", 'SELECT (STR(96.00) AS ?a) (STR(96.0) AS ?b) (STR("96.00"^^xsd:decimal) AS ?c) (STR(96.50*1) AS ?d) (STR(1.0/3) AS ?e) {}'),
    ("decimal literal echo", 'SELECT ?x { VALUES ?x { 96.00 "96.00"^^xsd:decimal 1.50 0.0 } }'),
    ("STR of doubles", "SELECT (STR(1.5e0) AS ?a) (STR(1e2) AS ?b) (STR(1.0e0/3) AS ?c) (1e2 AS ?d) {}"),
    ("casts", 'SELECT (xsd:decimal("96") AS ?a) (xsd:integer("07") AS ?b) (xsd:double("1.5") AS ?c) (xsd:integer(3.7) AS ?d) (xsd:decimal(1.5e0) AS ?e) (xsd:integer("x") AS ?f) {}'),
    ("string cast of bool/int", 'SELECT (STR(true) AS ?a) (STR(xsd:boolean("1")) AS ?b) (STR(007) AS ?c) {}'),
    ("GROUP_CONCAT SEPARATOR", 'SELECT (GROUP_CONCAT(?x; SEPARATOR=", ") AS ?g) { VALUES ?x { "a" "b" "c" } }'),
    ("GROUP_CONCAT default sep + numbers", "SELECT (GROUP_CONCAT(?x) AS ?g) { VALUES ?x { 1 2 3 } }"),
    ("GROUP_CONCAT DISTINCT", 'SELECT (GROUP_CONCAT(DISTINCT ?x; SEPARATOR="|") AS ?g) { VALUES ?x { "a" "a" "b" } }'),
    ("GROUP_CONCAT of lang strings", 'SELECT (GROUP_CONCAT(?x; SEPARATOR="/") AS ?g) { VALUES ?x { "a"@en "b"@en } }'),
    ("BIND + IF", 'SELECT ?x ?y { VALUES ?x { 1 5 } BIND(IF(?x > 2, "big", "small") AS ?y) } ORDER BY ?x'),
    ("IF with error cond", 'SELECT (IF(?u > 1, "y", "n") AS ?r) (COALESCE(IF(?u > 1, "y", "n"), "err") AS ?c) {}'),
    ("VALUES with UNDEF", "SELECT ?a ?b { VALUES (?a ?b) { (<urn:x> UNDEF) (UNDEF 2) } }"),
    ("VALUES UNDEF join", "SELECT ?a ?b { VALUES (?a ?b) { (<urn:x> UNDEF) } VALUES ?b { 1 2 } } ORDER BY ?b"),
    ("COUNT(DISTINCT)", "SELECT (COUNT(DISTINCT ?x) AS ?n) (COUNT(?x) AS ?m) (COUNT(*) AS ?k) { VALUES ?x { 1 1 2 UNDEF } }"),
    ("COUNT on empty", "SELECT (COUNT(*) AS ?n) (SUM(?x) AS ?s) (AVG(?x) AS ?a) (MAX(?x) AS ?m) { VALUES ?x { } }"),
    ("AVG/SUM types", "SELECT (AVG(?x) AS ?a) (SUM(?x) AS ?s) (SUM(?y) AS ?t) { VALUES (?x ?y) { (1 1.5) (2 2.25) } }"),
    ("SAMPLE/MIN/MAX strings", 'SELECT (MIN(?x) AS ?a) (MAX(?x) AS ?b) (SAMPLE(?x) AS ?c) { VALUES ?x { "b" "a" "c" } }'),
    ("MAX mixed types", 'SELECT (MAX(?x) AS ?m) { VALUES ?x { 1 "a" 2.5 } }'),
    ("COALESCE", "SELECT (COALESCE(?u, 1/0, 3) AS ?x) (COALESCE(?u) AS ?y) {}"),
    ("subquery with aggregate", "SELECT ?g ?n { { SELECT ?g (COUNT(*) AS ?n) { VALUES (?g ?x) { (1 1) (1 2) (2 3) } } GROUP BY ?g } FILTER(?n > 1) }"),
    ("GROUP BY expression + HAVING", "SELECT ?k (SUM(?x) AS ?s) { VALUES ?x { 1 2 3 4 } } GROUP BY (?x > 2 AS ?k) HAVING (SUM(?x) > 3) ORDER BY ?k"),
    ("FILTER NOT EXISTS", "SELECT ?x { VALUES ?x { 1 2 3 } FILTER NOT EXISTS { VALUES ?x { 2 } } } ORDER BY ?x"),
    ("MINUS", "SELECT ?x { VALUES ?x { 1 2 3 } MINUS { VALUES ?x { 2 } } } ORDER BY ?x"),
    ("EXISTS in BIND", "SELECT ?x ?e { VALUES ?x { 1 2 } BIND(EXISTS { VALUES ?x { 2 } } AS ?e) } ORDER BY ?x"),
    ("OPTIONAL + FILTER(!BOUND)", "SELECT ?x { VALUES ?x { 1 2 } OPTIONAL { VALUES (?x ?y) { (1 9) } } FILTER(!BOUND(?y)) }"),
    ("IN / NOT IN", "SELECT (2 IN (1, 2) AS ?a) (2 NOT IN (1, 3) AS ?b) (2 IN (2.0) AS ?c) {}"),
    ("numeric equality across types", 'SELECT (1 = 1.0 AS ?a) (1 = 1e0 AS ?b) (sameTerm(1, 1.0) AS ?c) ("1"^^xsd:integer = "01"^^xsd:integer AS ?d) {}'),
    ("string vs xsd:string", 'SELECT ("a" = "a"^^xsd:string AS ?a) (sameTerm("a", "a"^^xsd:string) AS ?b) (DATATYPE("a") AS ?c) (DATATYPE("a"@en) AS ?d) {}'),
    ("typed literals", 'SELECT ?x (DATATYPE(?x) AS ?d) { VALUES ?x { "2024-01"^^xsd:gYearMonth "2024"^^xsd:gYear true "1"^^xsd:boolean "2024-01-31"^^xsd:date "2024-01-31T12:00:00Z"^^xsd:dateTime "x"@nb "x"@en-GB } }'),
    ("gYearMonth compare/order", 'SELECT ?x { VALUES ?x { "2024-02"^^xsd:gYearMonth "2023-12"^^xsd:gYearMonth } } ORDER BY ?x'),
    ("date functions", 'SELECT (YEAR("2024-03-05"^^xsd:date) AS ?y) (MONTH("2024-03-05T10:00:00Z"^^xsd:dateTime) AS ?m) (STR(xsd:date("2024-03-05")) AS ?s) {}'),
    ("boolean ops", 'SELECT (true && false AS ?a) (!true AS ?b) ("true"^^xsd:boolean = true AS ?c) (xsd:boolean("0") AS ?d) {}'),
    ("lang functions", 'SELECT (LANG("x"@EN) AS ?a) (LANGMATCHES("en-GB", "en") AS ?b) (STRLANG("x", "nb") AS ?c) (CONCAT("a"@en, "b"@en) AS ?d) (CONCAT("a"@en, "b") AS ?e) {}'),
    ("string functions", 'SELECT (STRLEN("ÆØÅ") AS ?a) (SUBSTR("abcdef", 2, 3) AS ?b) (UCASE("æøå") AS ?c) (REPLACE("a-b-c", "-", "/") AS ?d) (STRBEFORE("a:b", ":") AS ?e) (ENCODE_FOR_URI("a b/ø") AS ?f) {}'),
    ("REGEX flags", 'SELECT (REGEX("ABC", "b", "i") AS ?a) (REGEX("a.c", "^a\\\\.c$") AS ?b) (REPLACE("aaa", "a+", "b") AS ?c) {}'),
    ("IRI / STR / CONCAT", 'SELECT (IRI(CONCAT("http://example.org/", "x")) AS ?i) (STR(<http://example.org/y>) AS ?s) (isIRI(<urn:a>) AS ?b) {}'),
    ("hash / uuid", 'SELECT (MD5("a") AS ?m) (SHA1("a") AS ?s) (STRLEN(STRUUID()) AS ?u) (isIRI(UUID()) AS ?i) {}'),
    ("ORDER BY unbound/mixed", "SELECT ?x { VALUES ?x { 2 UNDEF <urn:a> \"b\" 1.5 } } ORDER BY ?x"),
    ("ORDER BY DESC + LIMIT/OFFSET", "SELECT ?x { VALUES ?x { 1 2 3 4 } } ORDER BY DESC(?x) LIMIT 2 OFFSET 1"),
    ("project expression reuse", "SELECT ?x (?x * 2 AS ?y) ((?x * 2) + 1 AS ?z) { VALUES ?x { 1 } }"),
    ("unicode literal echo", 'SELECT ?x { VALUES ?x { "Ålesund – Trøndelag 😀" } }'),
]


def run_queries(servers: list[Server]) -> None:
    for name, q in QUERIES:
        print(f"### {name}\n    {' '.join(q.split())}")
        for s in servers:
            try:
                out = show(s.query(q))
            except Exception as e:  # noqa: BLE001 - diagnostic
                out = f"EXC {e!r}"
            print(f"  {s.name:9} {out}")


def graph_dump(s: Server, g: str) -> str:
    r = s.query(f"SELECT ?s ?p ?o {{ GRAPH <{g}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o")
    return show(r)


def run_updates(servers: list[Server]) -> None:
    g1, g2, g3 = "urn:x-probe:g1", "urn:x-probe:g2", "urn:x-probe:g3"
    steps: list[tuple[str, str, list[str]]] = [
        ("DROP SILENT GRAPH (missing)", f"DROP SILENT GRAPH <{g1}> ; DROP SILENT GRAPH <{g2}> ; DROP SILENT GRAPH <{g3}>", []),
        ("DROP GRAPH (missing, not silent)", "DROP GRAPH <urn:x-probe:never>", []),
        ("CLEAR GRAPH (missing)", "CLEAR GRAPH <urn:x-probe:never>", []),
        ("CREATE GRAPH", f"CREATE GRAPH <{g3}>", []),
        ("INSERT DATA typed", f'INSERT DATA {{ GRAPH <{g1}> {{ ex:s ex:dec 96.00 ; ex:dec2 "96.50"^^xsd:decimal ; ex:int "007"^^xsd:integer ; ex:ym "2024-01"^^xsd:gYearMonth ; ex:b true ; ex:b2 "1"^^xsd:boolean ; ex:l "hei"@nb ; ex:str "s"^^xsd:string ; ex:dbl 1.5e0 ; ex:u "Ø" ; ex:gy "2024"^^xsd:gYear ; ex:date "2024-01-31"^^xsd:date }} }}', [g1]),
        ("INSERT DATA with _:b1 bnode", f"INSERT DATA {{ GRAPH <{g3}> {{ ex:s ex:bn _:b1 . _:b1 ex:p 1 }} }}", [g3]),
        ("INSERT DATA with [ ] bnode", f"INSERT DATA {{ GRAPH <{g3}> {{ ex:s ex:bn [ ex:p 1 ] }} }}", [g3]),
        ("INSERT {} WHERE {} with bnodes", f"INSERT {{ GRAPH <{g3}> {{ ex:s ex:bn _:b1 . _:b1 ex:p 1 . ex:s ex:bn [ ex:p 2 ] }} }} WHERE {{}}", [g3]),
        ("DROP SILENT g3", f"DROP SILENT GRAPH <{g3}>", []),
        ("INSERT DATA dup (set semantics)", f"INSERT DATA {{ GRAPH <{g1}> {{ ex:s ex:int 7 }} }}", [g1]),
        ("COPY g1 TO g2", f"COPY <{g1}> TO <{g2}>", [g2]),
        ("ADD g1 TO g3", f"INSERT DATA {{ GRAPH <{g3}> {{ ex:x ex:y ex:z }} }} ; ADD <{g1}> TO <{g3}>", [g3]),
        ("MOVE g2 TO g3", f"MOVE <{g2}> TO <{g3}>", [g2, g3]),
        ("MOVE GRAPH keyword", f"MOVE GRAPH <{g3}> TO GRAPH <{g2}>", [g2, g3]),
        ("DELETE/INSERT WHERE with WITH", f'WITH <{g2}> DELETE {{ ?s ex:l ?o }} INSERT {{ ?s ex:l2 ?o }} WHERE {{ ?s ex:l ?o }}', [g2]),
        ("DELETE WHERE", f"DELETE WHERE {{ GRAPH <{g2}> {{ ?s ex:dec ?o }} }}", [g2]),
        ("INSERT ... WHERE computed", f'INSERT {{ GRAPH <{g2}> {{ ex:s ex:half ?h }} }} WHERE {{ BIND(1/2 AS ?h) }}', [g2]),
        ("INSERT DATA default graph", "INSERT DATA { ex:d ex:d ex:d }", []),
        ("multiple ops + PREFIX", f"CLEAR GRAPH <{g2}> ; INSERT DATA {{ GRAPH <{g2}> {{ ex:a ex:b ex:c }} }}", [g2]),
        ("property paths (data)", f"INSERT DATA {{ GRAPH <{g3}> {{ ex:a ex:sub ex:b . ex:b ex:sub ex:c . ex:c ex:label 'C' }} }}", []),
        ("DROP GRAPH", f"DROP GRAPH <{g1}> ; DROP GRAPH <{g2}> ; DROP SILENT GRAPH <{g3}>", [g1, g2, g3]),
    ]
    for name, u, graphs in steps:
        print(f"### UPDATE {name}\n    {' '.join(u.split())[:200]}")
        for s in servers:
            r = s.update(u)
            status = f"HTTP {r.status_code}"
            if r.status_code >= 400:
                status += ": " + " ".join(r.text.split())[:200]
            print(f"  {s.name:9} {status}")
            for g in graphs:
                print(f"  {s.name:9}   <{g}>: {graph_dump(s, g)}")
            if name.startswith("INSERT DATA typed"):
                q = (f"SELECT ?p (STR(?o) AS ?lex) (DATATYPE(?o) AS ?dt) (LANG(?o) AS ?lang) "
                     f"{{ GRAPH <{g1}> {{ ex:s ?p ?o }} FILTER(isLiteral(?o)) }} ORDER BY ?p")
                print(f"  {s.name:9}   STR/DATATYPE of stored literals: {show(s.query(q))}")
                q = f'SELECT ?p {{ GRAPH <{g1}> {{ ex:s ?p ?o }} FILTER(?o = true) }}'
                print(f"  {s.name:9}   FILTER(?o = true): {show(s.query(q))}")
                q = f'SELECT ?p {{ GRAPH <{g1}> {{ ex:s ?p 96.0 }} }}'
                print(f"  {s.name:9}   match stored 96.00 with 96.0: {show(s.query(q))}")
                q = f'SELECT ?p {{ GRAPH <{g1}> {{ ex:s ?p "s" }} }}'
                print(f"  {s.name:9}   match stored 's'^^xsd:string with 's': {show(s.query(q))}")
                q = f'SELECT ?p {{ GRAPH <{g1}> {{ ex:s ?p "hei"@NB }} }}'
                print(f"  {s.name:9}   match stored 'hei'@nb with 'hei'@NB: {show(s.query(q))}")
                q = f'SELECT ?p {{ GRAPH <{g1}> {{ ex:s ?p "2024-01"^^xsd:gYearMonth }} }}'
                print(f"  {s.name:9}   match stored gYearMonth: {show(s.query(q))}")
            if name.startswith("property paths"):
                for q in (f"SELECT ?x {{ GRAPH <{g3}> {{ ex:a ex:sub* ?x }} }} ORDER BY ?x",
                          f"SELECT ?x {{ GRAPH <{g3}> {{ ex:a ex:sub+ ?x }} }} ORDER BY ?x",
                          f"SELECT ?l {{ GRAPH <{g3}> {{ ex:a ex:sub/ex:sub/ex:label ?l }} }}",
                          f"SELECT ?x {{ GRAPH <{g3}> {{ ?x ^ex:sub ex:a }} }}",
                          f"SELECT ?x {{ GRAPH <{g3}> {{ ex:a (ex:sub|ex:label)+ ?x }} }} ORDER BY ?x"):
                    print(f"  {s.name:9}   {' '.join(q.split())[28:90]}: {show(s.query(q))}")


def run_batches(servers: list[Server]) -> None:
    g = "urn:x-probe:batch"

    def plain(n: int) -> str:  # one full triple per line
        return "\n".join(f'<urn:x-probe:s{i}> ex:v {i} .' for i in range(n))

    def shared(n: int) -> str:  # two triples per subject with ';'
        return "\n".join(f'<urn:x-probe:s{i}> ex:v {i} ; ex:l "label number {i}"@en .' for i in range(n // 2))

    for s in servers:
        s.update(f"DROP SILENT GRAPH <{g}>")
        for shape, make in (("plain", plain), ("';'-lists", shared)):
            for n in (1000, 5000, 9000, 9990, 10010, 20000, 100000):
                body = f"INSERT DATA {{ GRAPH <{g}> {{\n{make(n)}\n}} }}"
                t0 = time.monotonic()
                r = s.update(body)
                dt = time.monotonic() - t0
                cnt = s.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
                msg = show(cnt) if r.status_code < 400 else " ".join(r.text.split())[:110]
                print(f"  {s.name:9} INSERT DATA {shape:9} {n:6} triples ({len(body) // 1024:5} KiB): "
                      f"HTTP {r.status_code} in {dt:5.1f}s -> {msg}")
                s.update(f"DROP SILENT GRAPH <{g}>")
        for n in (100000, 500000):
            nt = "\n".join(f'<urn:x-probe:s{i}> <http://example.org/v> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .'
                            for i in range(n)).encode()
            t0 = time.monotonic()
            r = s.gsp("PUT", g, nt, ctype="application/n-triples")
            dt = time.monotonic() - t0
            cnt = s.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
            print(f"  {s.name:9} GSP PUT n-triples {n:6} triples ({len(nt) // 1024} KiB): HTTP {r.status_code} in {dt:5.1f}s -> {show(cnt)}")
            s.update(f"DROP SILENT GRAPH <{g}>")


def run_gsp(servers: list[Server]) -> None:
    g = "urn:x-probe:gsp"
    ttl = ('@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
           'ex:s ex:p "Trøndelag"@nb , 96.00 , "2024-01"^^xsd:gYearMonth , true .\n').encode()
    for s in servers:
        r = s.gsp("PUT", g, ttl)
        print(f"  {s.name:9} GSP PUT -> {r.status_code}")
        r = s.gsp("PUT", g, ttl)
        print(f"  {s.name:9} GSP PUT again -> {r.status_code}")
        r = s.gsp("POST", g, b'<http://example.org/s> <http://example.org/q> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n', ctype="application/n-triples")
        print(f"  {s.name:9} GSP POST n-triples -> {r.status_code}")
        r = s.gsp("GET", g)
        print(f"  {s.name:9} GSP GET n-triples -> {r.status_code} {r.headers.get('Content-Type')}: {' '.join(r.text.split())[:300]}")
        r = s.gsp("GET", g, accept="text/turtle")
        print(f"  {s.name:9} GSP GET turtle -> {r.status_code} {r.headers.get('Content-Type')}")
        r = s.gsp("HEAD", g)
        print(f"  {s.name:9} GSP HEAD -> {r.status_code}")
        print(f"  {s.name:9} graph now: {graph_dump(s, g)}")
        r = s.gsp("DELETE", g)
        print(f"  {s.name:9} GSP DELETE -> {r.status_code}")
        r = s.gsp("DELETE", g)
        print(f"  {s.name:9} GSP DELETE missing -> {r.status_code}")
        r = s.gsp("GET", g)
        print(f"  {s.name:9} GSP GET missing -> {r.status_code}")
        r = s.gsp("GET", None)
        print(f"  {s.name:9} GSP GET ?default -> {r.status_code} {' '.join(r.text.split())[:120]}")


def run_misc(servers: list[Server]) -> None:
    def ct(r: requests.Response) -> str:
        return f"{r.status_code} {r.headers.get('Content-Type')}"

    for s in servers:
        checks = [
            ("triples in default graph (no FROM)", lambda: show(s.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))),
            ("named graphs", lambda: show(s.query(
                "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"))[:300]),
            ("ASK as XML", lambda: ct(s.query("ASK {}", accept="application/sparql-results+xml"))),
            ("CONSTRUCT turtle", lambda: (lambda r: ct(r) + ": " + " ".join(r.text.split())[:120])(
                s.query("CONSTRUCT { <urn:a> <urn:b> ?x } { BIND(1 AS ?x) }", accept="text/turtle"))),
            ("CONSTRUCT n-triples", lambda: (lambda r: ct(r) + ": " + " ".join(r.text.split())[:120])(
                s.query("CONSTRUCT { <urn:a> <urn:b> ?x } { BIND(1 AS ?x) }", accept="application/n-triples"))),
            ("SELECT as CSV", lambda: ct(s.query("SELECT (1 AS ?x) {}", accept="text/csv"))),
            ("SELECT as TSV", lambda: ct(s.query("SELECT (1 AS ?x) {}", accept="text/tab-separated-values"))),
            ("SELECT, Accept */*", lambda: ct(s.query("SELECT (1 AS ?x) {}", accept="*/*"))),
            ("GET ?query=", lambda: ct(s.s.get(s.query_url, params={"query": "SELECT (1 AS ?x) {}"},
                                                headers={"Accept": "application/sparql-results+json"}, timeout=20))),
            ("POST application/sparql-query", lambda: ct(s.s.post(
                s.query_url, data=b"SELECT (1 AS ?x) {}", timeout=10,
                headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}))),
            ("POST application/sparql-update", lambda: ct(s.s.post(
                s.update_url, data=b"CLEAR SILENT GRAPH <urn:x-probe:none>", auth=s.auth, timeout=10,
                headers={"Content-Type": "application/sparql-update"}))),
            ("syntax error", lambda: (lambda r: ct(r) + ": " + " ".join(r.text.split())[:100])(s.query("SELEKT nonsense"))),
            ("anonymous update on query endpoint", lambda: ct(s.s.post(
                s.query_url, data={"update": "INSERT DATA { GRAPH <urn:x-probe:anon> { <urn:a> <urn:b> <urn:c> } }"},
                timeout=20))),
            ("update sent as query=", lambda: ct(s.s.post(
                s.update_url, data={"query": "CLEAR SILENT GRAPH <urn:x-probe:none>"}, auth=s.auth, timeout=20))),
        ]
        for name, fn in checks:
            try:
                out = fn()
            except Exception as e:  # noqa: BLE001 - diagnostic
                out = f"EXC {type(e).__name__}"
            print(f"  {s.name:9} {name}: {out}")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    servers = [Server(read_env(p)) for p in argv]
    sections = {"queries": run_queries, "updates": run_updates, "gsp": run_gsp,
                "misc": run_misc, "batches": run_batches}
    only = [a for a in sys.argv if a.startswith("--only=")]
    wanted = only[0].split("=", 1)[1].split(",") if only else list(sections)
    for name in wanted:
        print(f"\n======== {name}")
        sections[name](servers)
    return 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv[1:] if not a.startswith("--")]))
