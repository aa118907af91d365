"""A round's workflow as RDF: an append-only list of PROV activities, one per transition, decision and
question, each with its agent (the account's IRI, never its secrets) and time (PROV-O §3.1 Starting Point
classes: prov:Activity, prov:wasAssociatedWith, prov:startedAtTime / prov:endedAtTime).

Everything about the round is derived from these steps: its state is the state after the last step, a
data point's decision is its latest `decide` step, a question is an `ask` step and its answers and
resolution are the steps that point to it (kpi:answers). So the record cannot disagree with the state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, PROV, RDF, RDFS, XSD

from registry.catalogue.rdf import new_graph
from registry.namespaces import IRIs, KPI
from registry.submissions.staged import STATUS, VERIFICATION
from registry.workflow.states import NEW, STATE_IRI, STATE_OF

STATUS_OF = {iri: name for name, iri in STATUS.items()}
VERIFIED_OF = {KPI.Verified: True, KPI.NotVerified: False}


@dataclass
class Step:
    """One activity of the workflow."""

    seq: int
    action: str
    agent: str  # the account's name
    agent_label: str
    time: str  # ISO 8601, UTC
    before: str
    after: str
    data_point: str | None = None
    verified: bool | None = None
    override: str | None = None  # "reported" / "not_reported": the verifier's correction of the status
    reason: str | None = None
    text: str | None = None  # a question, answer, resolution or comment
    answers: int | None = None  # the question (its step) an answer or resolution belongs to
    findings: list[dict[str, Any]] = field(default_factory=list)  # an upload's validation findings

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


def step_iri(iris: IRIs, city: str, round_id: str, seq: int) -> URIRef:
    return iris.activity("workflow", f"{city}/{round_id}/{seq}")


def step_graph(iris: IRIs, city: str, round_id: str, step: Step) -> Graph:
    """The triples of one step."""
    g = new_graph()
    act, agent = step_iri(iris, city, round_id, step.seq), iris.user_agent(step.agent)
    when = Literal(step.time, datatype=XSD.dateTime)
    for p, o in ((RDF.type, PROV.Activity), (RDF.type, KPI.WorkflowStep), (KPI.action, Literal(step.action)),
                 (KPI.sequence, Literal(step.seq)), (PROV.wasAssociatedWith, agent), (PROV.startedAtTime, when),
                 (PROV.endedAtTime, when), (PROV.used, iris.submission(city, round_id)),
                 (KPI.round, iris.round(city, round_id)), (KPI.toState, STATE_IRI[step.after])):
        g.add((act, p, o))
    g.add((agent, RDF.type, PROV.Agent))
    g.add((agent, FOAF.name, Literal(step.agent_label)))
    if step.before != NEW:
        g.add((act, KPI.fromState, STATE_IRI[step.before]))
    if step.data_point:
        g.add((act, KPI.dataPoint, iris.datapoint(step.data_point)))
    if step.verified is not None:
        g.add((act, KPI.verificationStatus, VERIFICATION["verified" if step.verified else "not_verified"]))
    if step.override:
        g.add((act, KPI.overrideStatus, STATUS[step.override]))
    if step.reason:
        g.add((act, KPI.reason, Literal(step.reason)))
    if step.text:
        g.add((act, RDFS.comment, Literal(step.text)))
    if step.answers is not None:
        g.add((act, KPI.answers, step_iri(iris, city, round_id, step.answers)))
    if step.findings:
        g.add((act, KPI.findings, Literal(json.dumps(step.findings, ensure_ascii=False), datatype=RDF.JSON)))
    return g


def read_steps(g: Graph, iris: IRIs) -> list[Step]:
    """The steps in a workflow graph, in order."""
    points, agents = str(iris.datapoint("")), str(iris.user_agent(""))
    steps = []
    for act in g.subjects(RDF.type, KPI.WorkflowStep):
        one = lambda p: g.value(act, p)  # noqa: E731 - a local shorthand
        agent = one(PROV.wasAssociatedWith)
        answers = one(KPI.answers)
        steps.append(Step(
            seq=int(one(KPI.sequence)), action=str(one(KPI.action)), agent=str(agent).removeprefix(agents),
            agent_label=str(g.value(agent, FOAF.name) or str(agent).removeprefix(agents)),
            time=str(one(PROV.endedAtTime)), before=STATE_OF.get(one(KPI.fromState), NEW),
            after=STATE_OF[one(KPI.toState)],
            data_point=str(one(KPI.dataPoint)).removeprefix(points) if one(KPI.dataPoint) else None,
            verified=VERIFIED_OF.get(one(KPI.verificationStatus)), override=STATUS_OF.get(one(KPI.overrideStatus)),
            reason=_text(one(KPI.reason)), text=_text(one(RDFS.comment)),
            answers=int(str(answers).rsplit("/", 1)[1]) if answers else None,
            findings=json.loads(str(one(KPI.findings))) if one(KPI.findings) else []))
    return sorted(steps, key=lambda s: s.seq)


def _text(node) -> str | None:
    return None if node is None else str(node)


def state(steps: list[Step]) -> str:
    return steps[-1].after if steps else NEW


def decisions(steps: list[Step]) -> dict[str, Step]:
    """Each data point's latest decision."""
    return {s.data_point: s for s in steps if s.action == "decide"}


def questions(steps: list[Step]) -> list[dict[str, Any]]:
    """The verifier's questions (the Verification Manual's KPI questions template: question, city
    answer, resolution), each with its answers and resolution."""
    asked = {s.seq: {"id": s.seq, "data_point": s.data_point, "question": s.text, "asked_by": s.agent,
                     "asked": s.time, "answers": [], "resolution": None} for s in steps if s.action == "ask"}
    for s in steps:
        if s.answers in asked and s.action == "answer":
            asked[s.answers]["answers"].append({"answer": s.text, "by": s.agent, "time": s.time})
        elif s.answers in asked and s.action == "resolve":
            asked[s.answers]["resolution"] = {"resolution": s.text, "by": s.agent, "time": s.time}
    return list(asked.values())


def last(steps: list[Step], action: str) -> Step | None:
    return next((s for s in reversed(steps) if s.action == action), None)
