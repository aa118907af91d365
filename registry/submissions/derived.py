"""What the registry derives from the submissions and keeps as data: scores and verification summaries.

A score is a function of a submission, the catalogue and a benchmark set, a summary of a submission and the
catalogue, so both are computed whenever one of those is written, by the `construct_*` queries, and stored as
cubes of their own (graph/scores/{set}, graph/summaries; docs/conventions.md). Readers (scoring, pages, the
endpoint) then read rows instead of computing them. Two ways of writing them:

* with one submission (`import FILE`, the workflow's publish): its own rows are deleted and recomputed by
  SPARQL Update operations in the same request that writes the submission (`submission_updates`);
* with everything (`import DIR`, a benchmark set, `build`): each derived graph is recomputed whole, inside
  the store's bulk write (`everything`, `for_set`).
"""

from __future__ import annotations

from rdflib import URIRef

from registry import sparql
from registry.namespaces import IRIs
from registry.sparql.text import construct_as_insert, with_using
from registry.store import Derived, Store


def stored_sets(store: Store, iris: IRIs) -> list[str]:
    """The ids of the benchmark sets in the store, from its graph names (no scan)."""
    prefix = str(iris.graph("benchmarks")) + "/"
    return sorted(str(g)[len(prefix):] for g in store.graphs() if str(g).startswith(prefix))


def _scores(iris: IRIs, set_id: str, submission: URIRef | None = None) -> tuple[str, str, str]:
    """The set's score cube: the data set, the data point scores and their roll-ups."""
    binding = {"set": iris.benchmark_set(set_id)}
    return (sparql.load("construct_score_dataset").bind(binding),
            *(sparql.load(name).bind({**binding, "submission": submission})
              for name in ("construct_scores", "construct_score_rollups")))


def _summaries(submission: URIRef | None = None) -> str:
    return sparql.load("construct_summaries").bind({"submission": submission})


def submission_updates(iris: IRIs, city: str, round_id: str, set_ids: list[str], using: bool = True) -> list[str]:
    """Update operations that rewrite one submission's scores and summary after it is written. With `using`,
    each names the graphs it reads (USING, Update §3.1.3), for a store whose update reads only its own default
    graph (embedded Oxigraph), and the submission's graph also as USING NAMED: the queries match its items
    inside their graph, so they are looked up there alone, not in every graph read; without, for one whose
    update reads the union (Oxigraph's server refuses USING there)."""
    submission, round_iri = iris.submission(city, round_id), iris.round(city, round_id)
    own = iris.g_submission(city, round_id)
    common = [iris.g_ontology, iris.g_catalogue, own]
    graphs = [*map(iris.g_scores, set_ids), iris.g_summaries]
    insert = _insert if using else _plain_insert
    updates = [sparql.load("delete_derived_rows").bind({"round": round_iri, "graph": graphs})]
    for set_id in set_ids:
        reads = [*common, iris.g_benchmarks(set_id)]
        updates += [insert(q, iris.g_scores(set_id), reads, [own]) for q in _scores(iris, set_id, submission)]
    return [*updates, insert(_summaries(submission), iris.g_summaries, common, [own])]


def _insert(construct: str, graph: URIRef, reads: list[URIRef], named: list[URIRef] = ()) -> str:
    return with_using(construct_as_insert(construct, graph), list(map(str, reads)), list(map(str, named)))


def _plain_insert(construct: str, graph: URIRef, reads: list[URIRef], named: list[URIRef] = ()) -> str:
    return construct_as_insert(construct, graph)


def for_set(iris: IRIs, set_id: str) -> Derived:
    """Every submission's scores against one set."""
    return Derived(iris.g_scores(set_id), _scores(iris, set_id))


def everything(iris: IRIs, set_ids: list[str]) -> list[Derived]:
    """Every derived graph: the scores against each set and the summaries."""
    return [*(for_set(iris, s) for s in set_ids), Derived(iris.g_summaries, (_summaries(),))]
