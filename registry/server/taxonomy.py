"""/taxonomy: the national SDG taxonomy, goal → target → indicators, filtered by its facets.

HTML (facets as links with counts), JSON, Turtle or JSON-LD by Accept or `format=`. Parameters are
checked by registry.taxonomy_search against the values in the store; an unknown parameter or value is a
400 that lists what is allowed. Responses are cached per store generation, like the linked-data pages.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from registry.taxonomy.search import FILTERS, LISTS, FilterError, Result, Selection, Vocabulary, as_json, describe, natural_key, parse_request, search
from registry.server import RegistryContext, registry_context
from registry.server.errors import error_response
from registry.server.negotiation import negotiate
from registry.server.pages import page_cache

bp = Blueprint("taxonomy", __name__)

OFFERED = ["text/html", "application/json", "text/turtle", "application/ld+json"]
FORMATS = {"html": "text/html", "json": "application/json", "ttl": "text/turtle", "turtle": "text/turtle",
           "jsonld": "application/ld+json"}
FACET_TITLES = {
    "scheme": ("Scheme", "Indikatorsett"), "goal": ("SDG goal", "Bærekraftsmål"), "target": ("SDG target", "Delmål"),
    "dimension": ("U4SSC dimension", "U4SSC-dimensjon"), "category": ("U4SSC category", "U4SSC-kategori"),
    "core": ("Core or advanced", "Kjerne eller avansert"), "sector": ("Development sector", "Utviklingssektor"),
    "level": ("Level of geography", "Geografisk nivå"), "evaluation": ("Evaluation stage", "Evaluering"),
    "impact": ("Triple bottom line", "Trippel bunnlinje"), "quality": ("Quality class", "Kvalitet"),
}

ITEM_FACETS = [(LISTS[f], f) for f in ("sector", "level", "evaluation", "impact", "quality")]  # shown per item


@bp.get("/taxonomy")
def taxonomy() -> Response:
    context = registry_context()
    media_type = _media_type()
    if media_type is None:
        return error_response(406, f"/taxonomy is available as {', '.join(OFFERED)} (or format={'|'.join(FORMATS)})")
    key = ("taxonomy", media_type, request.query_string, request.script_root)
    cached = page_cache(context).get(key) if context.generation else None
    if cached is None:
        cached = _render(context, media_type)
        if context.generation:
            page_cache(context).put(key, cached)
    status, body = cached
    readable = status == 200 or media_type in ("text/html", "application/json")  # a refusal in RDF is plain text
    response = Response(body, status, mimetype=media_type if readable else "text/plain")
    response.vary.add("Accept")
    return response


def _media_type() -> str | None:
    """`format=` wins over Accept; an unknown format is left for the parameter check to refuse."""
    fmt = request.args.get("format")
    if fmt in FORMATS:
        return FORMATS[fmt]
    return negotiate(request.headers.get("Accept"), OFFERED)


def _vocabulary(context: RegistryContext) -> Vocabulary:
    """The filters' values, read once per store generation (every request checks against them)."""
    if context.generation is None:
        return Vocabulary.from_store(context.store)
    key = ("taxonomy-vocabulary", context.generation)
    if key not in context.cache:
        context.cache[key] = Vocabulary.from_store(context.store)
    return context.cache[key]


def _render(context: RegistryContext, media_type: str) -> tuple[int, bytes]:
    vocabulary = _vocabulary(context)
    args = request.args.to_dict(flat=False)
    try:
        if args.get("format", [None])[0] not in (None, *FORMATS):
            raise FilterError("format takes one of " + ", ".join(FORMATS), "format", list(FORMATS))
        selection = parse_request(args, vocabulary)
    except FilterError as exc:
        return 400, _refusal(exc, media_type)
    result = search(context.store, selection, vocabulary)
    if media_type == "application/json":
        return 200, json.dumps(as_json(result, vocabulary), ensure_ascii=False, indent=1).encode()
    if media_type == "text/html":
        return 200, _html(result, vocabulary).encode()
    rdf_format = "turtle" if media_type == "text/turtle" else "json-ld"
    return 200, describe(context.store, result).serialize(format=rdf_format, encoding="utf-8")


def _refusal(exc: FilterError, media_type: str) -> bytes:
    if media_type == "application/json":
        return json.dumps(exc.as_dict(), ensure_ascii=False, indent=1).encode()
    allowed = f"; allowed: {', '.join(exc.allowed)}" if exc.allowed else ""
    if media_type == "text/html":
        return render_template("error.html", status=400, message=f"{exc}{allowed}").encode()
    return f"400 Bad Request: {exc}{allowed}\n".encode()


# -- the HTML page --------------------------------------------------------------------------------

def _url(filters: dict[str, list[str]], lang: str, **extra: str) -> str:
    pairs = [(name, key) for name, keys in filters.items() for key in keys]
    if lang != "en":
        pairs.append(("lang", lang))
    pairs += list(extra.items())
    return request.path + ("?" + urlencode(pairs) if pairs else "")


def _toggled(selection: Selection, facet: str, key: str) -> dict[str, list[str]]:
    """The filters with `key` added to `facet` (OR), or removed when it is already there."""
    filters = {name: list(keys) for name, keys in selection.filters.items()}
    keys = filters.setdefault(facet, [])
    if key in keys:
        keys.remove(key)
    elif next(f for f in FILTERS if f.name == facet).repeatable:
        keys.append(key)
    else:
        keys[:] = [key]
    return {name: keys for name, keys in filters.items() if keys}


def _facets(result: Result, vocabulary: Vocabulary) -> list[dict]:
    """Each facet's values with their counts among the items found, as add / remove links."""
    selection, lang = result.selection, result.selection.lang
    facets = []
    for f in FILTERS:
        selected = selection.filters.get(f.name, [])
        values = [{"key": key, "label": value.label(lang), "count": result.counts[f.name][key],
                   "selected": key in selected, "href": _url(_toggled(selection, f.name, key), lang)}
                  for key, value in vocabulary.values.get(f.name, {}).items()
                  if result.counts[f.name][key] or key in selected]
        title, title_nb = FACET_TITLES[f.name]
        facets.append({"name": f.name, "title": title, "title_nb": title_nb, "values": values,
                       "open": bool(selected) or f.name not in ("target", "category")})
    return facets


def _tree(result: Result, vocabulary: Vocabulary) -> list[dict]:
    """Goal → target → items. With a goal or target filter only the goals / targets asked for appear."""
    lang, wanted = result.selection.lang, result.selection.filters
    goals: dict[str, dict] = {}
    for item in result.items:
        for goal in item["goals"] or ["–"]:
            targets = [t for t in item["targets"] if t.split(".")[0] == goal]
            if "target" in wanted:
                targets = [t for t in targets if t in wanted["target"]]
            if ("goal" in wanted and goal not in wanted["goal"]) or ("target" in wanted and not targets):
                continue
            node = goals.setdefault(goal, {"targets": {}, "items": []})
            for target in targets:
                node["targets"].setdefault(target, []).append(item)
            if not targets:
                node["items"].append(item)
    return [{"key": key, "label": _label(vocabulary, "goal", key, lang), "items": node["items"],
             "targets": [{"key": t, "label": _label(vocabulary, "target", t, lang), "items": items}
                         for t, items in sorted(node["targets"].items(), key=lambda kv: natural_key(kv[0]))]}
            for key, node in sorted(goals.items(), key=lambda kv: natural_key(kv[0]))]


def _label(vocabulary: Vocabulary, facet: str, key: str, lang: str) -> str:
    value = vocabulary.values.get(facet, {}).get(key)
    return value.label(lang) if value else key


def _html(result: Result, vocabulary: Vocabulary) -> str:
    selection, lang = result.selection, result.selection.lang
    active = [{"name": name, "title": FACET_TITLES[name][0], "key": key, "label": _label(vocabulary, name, key, lang),
               "short": key if name in ("goal", "target") else _label(vocabulary, name, key, lang),
               "href": _url(_toggled(selection, name, key), lang)}
              for name, keys in selection.filters.items() for key in keys]
    formats = {label: _url(selection.filters, lang, format=fmt)
               for label, fmt in (("JSON", "json"), ("Turtle", "ttl"), ("JSON-LD", "jsonld"))}
    return render_template(
        "taxonomy.html", result=result, count=len(result.items), active=active, facets=_facets(result, vocabulary),
        tree=_tree(result, vocabulary), formats=formats, lang=lang,
        other_lang={"en": ("nb", "Norsk"), "nb": ("en", "English")}[lang],
        other_lang_href=_url(selection.filters, {"en": "nb", "nb": "en"}[lang]),
        clear_href=_url({}, lang), scheme_labels={k: v.label(lang) for k, v in vocabulary.values["scheme"].items()},
        item_facets=ITEM_FACETS,
        facet_labels={f: {k: v.label(lang) for k, v in vocabulary.values.get(f, {}).items()} for _, f in ITEM_FACETS},
    )
