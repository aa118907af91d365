"""A city report a city official can read at a glance: summary tables, KPI table and the benchmark wheel.

The figures come from registry.summary and registry.score (SPARQL); this module only lays them out: an HTML
page, and the U4SSC "City Performance Benchmark" wheel as SVG and PNG, drawn with matplotlib. The wheel's
rings are, from the centre, dimensions, categories and KPIs, each segment coloured by its score band, by
"data reported – no targets yet available", or by "no data or no target" (Ålesund report, section 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from registry import __version__, sparql
from registry.namespaces import IRIs
from registry.scoring.score import CatalogueTree, Node, score_bands, target_text
from registry.store import Store
from registry.submissions.numbers import as_printed

NO_DATA, NO_TARGET = "no-data", "no-target"
COLOURS = {4: "#1a7f37", 3: "#8cc665", 2: "#f2b632", 1: "#d1362f", NO_TARGET: "#6fa8dc", NO_DATA: "#d9d9d9"}
INK = {4: "white", 3: "black", 2: "black", 1: "white", NO_TARGET: "black", NO_DATA: "#444444"}
LEGEND = {NO_DATA: "No data or no target", NO_TARGET: "Data reported – no targets yet available"}
SHORT_LEGEND = {NO_DATA: "no data", NO_TARGET: "no target yet"}
# Radii of the rings (inner, outer): dimensions, categories, KPIs; KPI names are written outside.
RINGS = {"dimension": (0.16, 0.40), "category": (0.41, 0.70), "kpi": (0.71, 0.84)}
OUTER = 1.38  # room outside the KPI ring for the KPI names
CHAR_WIDTH = 0.56  # average glyph width of DejaVu Sans in em, to fit labels into their wedges
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Segment:
    """One wedge of the wheel: which node, where (degrees clockwise from 12 o'clock) and its state."""

    node: Node
    start: float
    width: float
    state: int | str


def write_report(store: Store, iris: IRIs, data: dict[str, Any], out: Path) -> list[Path]:
    """Write `{city}-{round}.html` and a wheel per benchmark set into `out`; returns their paths.

    `data["scores"]` holds one city_scores result per set, the first the main one: its wheel is
    `{city}-{round}-wheel.svg` / `.png`, a further set's `{city}-{round}-wheel-{set}.svg` / `.png`, and the page
    shows the sets side by side (a wheel each, one column each in the tables) where their targets differ.
    """
    out.mkdir(parents=True, exist_ok=True)
    summary = data["summary"]
    tree = CatalogueTree(store)
    rows = store.select(sparql.load("export_submission"), {"submission": iris.submission(summary["city"], summary["round"])})
    results = {str(r["id"]): r for r in rows}
    bands = score_bands(store)
    stem = f"{summary['city']}-{summary['round']}"
    views, paths = [], []
    for n, scores in enumerate(data["scores"]):
        chosen = scores["benchmarks"]
        name = f"{stem}-wheel" if n == 0 else f"{stem}-wheel-{chosen['set']}"
        states = node_states(tree, scores, results)
        figure = wheel(tree, states, bands, f"{summary['city_name']} · round {summary['round']}",
                       f"Benchmark set: {chosen['title']} ({chosen['status']})")
        svg, png = out / f"{name}.svg", out / f"{name}.png"
        with rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):  # same data, same bytes
            figure.savefig(svg, format="svg", metadata={"Date": None})
            figure.savefig(png, format="png", dpi=110, metadata={"Software": None})
        views.append({"scores": scores, "states": states, "svg": svg.name, "png": png.name})
        paths += [svg, png]
    html = out / f"{stem}.html"
    html.write_text(page(tree, summary, views, results, bands), encoding="utf-8")
    return [*paths, html]


# -- what colour each node gets ----------------------------------------------------------------
def node_states(tree: CatalogueTree, scores: dict[str, Any], results: dict[str, dict]) -> dict[str, int | str]:
    """Key of every dimension, category, KPI and data point → band points, NO_TARGET or NO_DATA."""
    reported = {key for key, r in results.items() if str(r.get("status")) == "reported"}
    scored = {s["data_point"]: s["points"] for s in scores["data_points"]}
    banded = {r["code"]: r["band_points"] for level in ("kpis", "categories", "dimensions") for r in scores[level]}
    states: dict[str, int | str] = {}
    for node in tree.nodes.values():
        if node.level == "datapoint":
            states[node.key] = scored.get(node.key, NO_TARGET if node.key in reported else NO_DATA)
        elif node.level != "subdimension":
            states[node.key] = banded.get(node.code, NO_TARGET if _any_reported(tree, node, reported) else NO_DATA)
    return states


def _any_reported(tree: CatalogueTree, node: Node, reported: set[str]) -> bool:
    if node.level == "datapoint":
        return node.key in reported
    return any(_any_reported(tree, child, reported) for child in tree.children(node))


# -- the wheel -------------------------------------------------------------------------------
def segments(tree: CatalogueTree, states: dict[str, int | str]) -> list[Segment]:
    """Every KPI gets the same angle; a category or dimension spans its KPIs. Catalogue order runs clockwise."""
    kpis = [k for d in tree.children() for c in tree.categories(d) for k in tree.children(c)]
    step = 360.0 / len(kpis)
    out, angle = [], 0.0
    for dimension in tree.children():
        start_dimension = angle
        for category in tree.categories(dimension):
            start_category = angle
            for kpi in tree.children(category):
                out.append(Segment(kpi, angle, step, states[kpi.key]))
                angle += step
            out.append(Segment(category, start_category, angle - start_category, states[category.key]))
        out.append(Segment(dimension, start_dimension, angle - start_dimension, states[dimension.key]))
    return out


def wheel(tree: CatalogueTree, states: dict[str, int | str], bands: dict[int, str], title: str, subtitle: str) -> Figure:
    figure = Figure(figsize=(13, 14.2))
    ax = figure.add_axes((0.02, 0.1, 0.96, 0.82), projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)  # clockwise, as a clock and as the reports read
    ax.set_axis_off()
    ax.set_ylim(0, OUTER)
    box = ax.get_position()
    points_per_unit = min(box.width * figure.get_figwidth(), box.height * figure.get_figheight()) * 72 / 2 / OUTER
    for segment in segments(tree, states):
        _wedge(ax, segment, points_per_unit)
    ax.text(0, 0, "U4SSC\nKPIs", ha="center", va="center", fontsize=13, fontweight="bold", color="#333333")
    figure.text(0.5, 0.975, title, ha="center", va="top", fontsize=20, fontweight="bold")
    figure.text(0.5, 0.945, "City Performance Benchmark", ha="center", va="top", fontsize=14)
    figure.text(0.5, 0.922, subtitle, ha="center", va="top", fontsize=10.5, color="#555555")
    handles = [Patch(facecolor=COLOURS[p], edgecolor="#888888", label=bands[p]) for p in sorted(bands, reverse=True)]
    handles += [Patch(facecolor=COLOURS[s], edgecolor="#888888", label=LEGEND[s]) for s in (NO_DATA, NO_TARGET)]
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=11, frameon=False, bbox_to_anchor=(0.5, 0.035))
    figure.text(0.5, 0.02, "Targets apply to all sections of the graphic. Starting from the centre: dimensions, "
                "categories and KPIs. Scores: U4SSC verification reports, section 5.",
                ha="center", va="bottom", fontsize=9.5, color="#555555")
    return figure


def _wedge(ax, segment: Segment, points_per_unit: float) -> None:
    inner, outer = RINGS[segment.node.level]
    middle, theta = (inner + outer) / 2, math.radians(segment.start + segment.width / 2)
    ax.bar(theta, outer - inner, width=math.radians(segment.width), bottom=inner, color=COLOURS[segment.state],
           edgecolor="white", linewidth=1.6 if segment.node.level != "kpi" else 0.8, align="center")
    ink = INK[segment.state]
    if segment.node.level == "kpi":
        _radial(ax, theta, outer + 0.015, _short(segment.node.name, 40), 7.4, "#222222", "left")
        _radial(ax, theta, middle, segment.node.code.rsplit(": ", 1)[-1], 6.3, ink, "center")
    elif segment.node.level == "category":
        across = math.radians(segment.width) * middle * points_per_unit
        text, size = fit(segment.node.name, (outer - inner) * points_per_unit * 0.9, across * 0.9, 8.5)
        _radial(ax, theta, middle, text, size, ink, "center")
    else:
        _tangential(ax, theta, middle, _wrap(segment.node.name, 12), 12.5, ink)


def fit(text: str, length: float, breadth: float, largest: float) -> tuple[str, float]:
    """Wrap and size a label to fit a box `length` × `breadth` points, shrinking the font down to 5.5 pt."""
    size = largest
    while True:
        per_line = max(1, int(length / (CHAR_WIDTH * size)))
        wrapped = _wrap(text, per_line)
        lines = wrapped.split("\n")
        if size <= 5.5 or (len(lines) * size * 1.1 <= breadth and max(map(len, lines)) <= per_line):
            return wrapped, size
        size -= 0.5


def _radial(ax, theta: float, radius: float, text: str, size: float, colour: str, anchor: str) -> None:
    """Text along the radius, turned so that it never reads upside down."""
    degrees = 90 - math.degrees(theta)  # screen angle of the radius (clockwise from 12 o'clock)
    flip = degrees < -90
    rotation = degrees + 180 if flip else degrees
    ha = {"left": "right" if flip else "left", "center": "center"}[anchor]
    ax.text(theta, radius, text, rotation=rotation, rotation_mode="anchor", ha=ha, va="center",
            fontsize=size, color=colour, linespacing=0.95)


def _tangential(ax, theta: float, radius: float, text: str, size: float, colour: str) -> None:
    degrees = -math.degrees(theta)
    rotation = degrees + 180 if -270 < degrees < -90 else degrees
    ax.text(theta, radius, text, rotation=rotation, rotation_mode="anchor", ha="center", va="center",
            fontsize=size, fontweight="bold", color=colour)


def _wrap(text: str, width: int) -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# -- the page --------------------------------------------------------------------------------
def page(tree: CatalogueTree, summary: dict[str, Any], views: list[dict[str, Any]], results: dict[str, dict],
         bands: dict[int, str]) -> str:
    """The report page; `views` as write_report builds them (scores, node states and wheel files per set)."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["percent"] = lambda value: f"{round(value, 1):g} %"
    return environment.get_template("city_report.html").render(
        summary=summary, views=views, version=__version__, colours=COLOURS, ink=INK,
        bands=bands, legend=LEGEND, short_legend=SHORT_LEGEND, dimensions=kpi_table(tree, views, results),
        rollups=rollup_rows(tree, views), common_source=common_source(results),
    )


def kpi_table(tree: CatalogueTree, views: list[dict[str, Any]], results: dict[str, dict]) -> list[dict[str, Any]]:
    """Dimension → category → KPI → data point rows, with value and what the city said about it, and, per set,
    target, % of target and band."""
    scored = [{s["data_point"]: s for s in v["scores"]["data_points"]} for v in views]
    main = views[0]["states"]
    common = common_source(results)
    return [{"name": d.name, "categories": [
        {"code": c.code, "name": c.name, "state": main[c.key], "kpis": [
            {"code": k.code, "name": k.name, "tier": k.tier, "state": main[k.key],
             "points": [_point_row(p, results.get(p.key, {}),
                                   [(by.get(p.key), v["states"][p.key]) for by, v in zip(scored, views)], common)
                        for p in tree.children(k)]}
            for k in tree.children(c)]}
        for c in tree.categories(d)]} for d in tree.children()]


def _point_row(node: Node, result: dict, per_set: list[tuple[dict | None, int | str]],
               common: Source | None) -> dict[str, Any]:
    value = result.get("value")
    shown = None if value is None else as_printed(value, result.get("decimals"))
    source = source_of(result)
    return {"name": node.name, "value": shown, "unit": node.unit,
            "status": str(result.get("status", "")) or "no data", "verification": str(result.get("verification", "")),
            "about": [str(result[k]) for k in ("year", "quality", "origin") if result.get(k) is not None],
            "source": None if source == common else source,
            "sets": [{"state": state, "target": target_text(score) if score else None,
                      "percent": score["percent"] if score else None} for score, state in per_set]}


Source = tuple[str, str]  # (title or text, address or "")


def source_of(result: dict) -> Source | None:
    """What a value's source is: its text, or its document's title and address (issue 19)."""
    text, url = str(result.get("source") or ""), str(result.get("sourceUrl") or "")
    return (text or url, url) if text or url else None


def common_source(results: dict[str, dict]) -> Source | None:
    """The one source every item of the submission names (the Ålesund report for all of Ålesund's), printed
    once above the table rather than in each row; None when the items name several or none."""
    sources = {source_of(r) for r in results.values() if r.get("status") is not None}
    return next(iter(sources)) if len(sources) == 1 else None


def rollup_rows(tree: CatalogueTree, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each dimension followed by its categories, with per set its score (None where nothing was scored)."""
    by_code = [{r["code"]: r for level in ("dimensions", "categories") for r in v["scores"][level]} for v in views]
    return [{"level": n.level, "code": n.code, "name": n.name,
             "sets": [{"score": codes.get(n.code), "state": v["states"][n.key]} for codes, v in zip(by_code, views)]}
            for d in tree.children() for n in [d, *tree.categories(d)]]
