"""The rounds in the workflow: unpublished rounds live in a working store of their own.

The working store (an embedded Oxigraph directory beside the public store) holds, per city × round, the
current draft's submission graph and the round's workflow graph (record.py). The public read path never
opens it, so nothing unpublished can leak through a query, a page, /taxonomy, `publish` or a dump: there
is no filter to forget. Publishing copies the round into the public store through the same checks and the
same atomic write as `import` (submissions/ingest.py: check_staged, commit).

One Workflow serves one process; its lock makes each transition read-check-write as one step (the
server runs the workflow with a single worker, the only writer of the working store).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from registry import sparql
from registry.namespaces import IRIs, KPI, QB, SDMX_ATTRIBUTE
from registry.store import Store
from registry.submissions.ingest import Context, check_staged, commit, existing_round, find_city, new_city, resolve_city, validate_file
from registry.submissions.parse import round_graph
from registry.submissions.staged import STATUS, VERIFICATION, City, RoundInfo, Staged, check_ids
from registry.submissions.validate import Report
from registry.tables import DataError, Refusal
from registry.workflow import record
from registry.workflow.access import Account, Conflict, Invalid, NotFound, authorise
from registry.workflow.record import Step
from registry.workflow.states import IN_VERIFICATION, NEW, next_state

# What an upload's Content-Type says about the file (the API's PUT has no file name).
UPLOAD_TYPES = {"text/csv": ".csv", "text/turtle": ".ttl", "application/ld+json": ".jsonld",
                "application/n-triples": ".nt", "application/rdf+xml": ".rdf",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}
UPLOAD_SUFFIXES = frozenset(UPLOAD_TYPES.values())
MAX_TEXT = 4000  # characters of a question, answer, comment or reason


def work_location(store: Path | None, given: Path | None = None) -> Path:
    """--work-store DIR, else `STORE.work` beside the public store directory."""
    if given:
        return given
    if store is None:
        raise DataError("the working store needs a place: --work-store DIR (there is no store directory to put it beside)")
    return store.with_name(store.name + ".work")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Workflow:
    """The workflow over a working store; `public` opens the public store for the one write a publish makes."""

    def __init__(self, work: Store, iris: IRIs, public: Callable[[], AbstractContextManager[Store]],
                 clock: Callable[[], str] = now) -> None:
        self.work, self.iris, self.public, self.clock = work, iris, public, clock
        self._lock = threading.RLock()
        self._context: Context | None = None

    # -- reading ---------------------------------------------------------------------------
    def steps(self, city: str, round_id: str) -> list[Step]:
        graph = self.work.construct(sparql.load("construct_graph"), {"graph": self.iris.g_workflow(city, round_id)})
        return record.read_steps(graph, self.iris)

    def rounds(self, account: Account) -> list[dict[str, Any]]:
        """The rounds the account may see, with their states."""
        prefix = str(self.iris.graph("workflow", ""))
        found = []
        for graph in self.work.graphs():
            city, _, round_id = str(graph).removeprefix(prefix).partition("/")
            if str(graph).startswith(prefix) and account.covers(city):
                found.append({"city": city, "round": round_id, "state": record.state(self.steps(city, round_id))})
        return sorted(found, key=lambda r: (r["city"], r["round"]))

    def status(self, account: Account | None, city: str, round_id: str) -> dict[str, Any]:
        """State, the latest upload's findings, decisions, questions and the record (the API's GET)."""
        authorise(account, "read", city)
        check_round(city, round_id)
        steps = self.steps(city, round_id)
        if not steps:
            raise NotFound(f"no round {city}/{round_id} in the workflow")
        upload = record.last(steps, "upload")
        return {"city": city, "round": round_id, "state": record.state(steps),
                "findings": upload.findings if upload else [],
                "decisions": [d.as_dict() for d in record.decisions(steps).values()],
                "questions": record.questions(steps), "items": self.items(city, round_id),
                "history": [s.as_dict() for s in steps]}

    def items(self, city: str, round_id: str) -> list[dict[str, Any]]:
        """The draft's data points, values and statuses, for the review table."""
        graph = self.submission(city, round_id)
        points = str(self.iris.datapoint(""))
        rows = []
        for item, dp in graph.subject_objects(KPI.dataPoint):
            value, status = graph.value(item, KPI.value), graph.value(item, KPI.reportingStatus)
            rows.append({"data_point": str(dp).removeprefix(points), "value": None if value is None else str(value),
                         "status": next((k for k, v in STATUS.items() if v == status), None),
                         "source": str(graph.value(item, DCTERMS.source) or "") or None})
        return sorted(rows, key=lambda r: r["data_point"])

    def submission(self, city: str, round_id: str) -> Graph:
        return self.work.construct(sparql.load("construct_graph"), {"graph": self.iris.g_submission(city, round_id)})

    # -- transitions -------------------------------------------------------------------------
    def upload(self, account: Account | None, city: str, round_id: str, data: bytes, suffix: str,
               name: str | None = None) -> Report:
        """Validate a file as `import` does; a conforming one becomes the round's draft (replacing the previous
        one), a file that does not conform changes nothing and its findings come back (Invalid)."""
        authorise(account, "upload", city)
        check_round(city, round_id)
        if suffix not in UPLOAD_SUFFIXES:
            raise Invalid(f"unknown file type {suffix or '(none)'}: upload {', '.join(sorted(UPLOAD_SUFFIXES))}")
        with self._lock:
            steps = self.steps(city, round_id)
            after = next_state("upload", record.state(steps))
            shown = name or f"{city}-{round_id}{suffix}"
            staged, report = self._validate(city, round_id, data, suffix, shown)
            if not report.conforms:
                raise Refused(report)
            step = self._step(steps, account, "upload", after, findings=[p.as_dict() for p in report.problems])
            self.work.replace_graphs({self.iris.g_submission(city, round_id): staged.graph,
                                      self.iris.g_workflow(city, round_id): self._with(city, round_id, step)})
            return report

    def _validate(self, city: str, round_id: str, data: bytes, suffix: str, shown: str) -> tuple[Staged, Report]:
        ctx = self.context()
        with self.public() as store:
            known = find_city(store, city)
            info = existing_round(store, self.iris, known, round_id) if known else None
        with tempfile.TemporaryDirectory(prefix="kpi-upload-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                staged, report = validate_file(path, ctx, known or new_city(city), round_id, info)
            except (DataError, Refusal) as exc:
                raise Invalid(str(exc).replace(str(path), shown)) from None
        report.source = staged.source = shown
        for problem in report.problems:
            problem.file = shown if problem.file else None
        return staged, report

    def context(self) -> Context:
        """The catalogue and reference data validation needs, read from the public store once."""
        if self._context is None:
            with self.public() as store:
                self._context = Context.from_store(store, self.iris)
        return self._context

    def submit(self, account: Account | None, city: str, round_id: str) -> str:
        return self._transition(account, "submit", city, round_id)

    def decide(self, account: Account | None, city: str, round_id: str, decisions: list[dict[str, Any]]) -> str:
        """The verifier's decisions: each `{"data_point", "verified", "comment"}`, optionally `"override"`
        (reported / not_reported) with a `"reason"`. All are checked before any is recorded."""
        authorise(account, "decide", city)
        if not isinstance(decisions, list) or not decisions:
            raise Invalid('decisions: a non-empty JSON list of {"data_point", "verified", "comment"}')
        with self._lock:
            present = self._data_points(city, round_id)
            checked = [decision_fields(d, present, i) for i, d in enumerate(decisions)]
            return self._transition(account, "decide", city, round_id, each=checked)

    def ask(self, account: Account | None, city: str, round_id: str, data_point: str, question: str) -> str:
        authorise(account, "ask", city)
        with self._lock:
            if data_point not in self._data_points(city, round_id):
                raise Invalid(f"data point {data_point!r} is not in the round's draft")
            return self._transition(account, "ask", city, round_id, data_point=data_point, text=text(question, "question"))

    def answer(self, account: Account | None, city: str, round_id: str, question: int, answer: str) -> str:
        return self._reply(account, "answer", city, round_id, question, answer)

    def resolve(self, account: Account | None, city: str, round_id: str, question: int, resolution: str) -> str:
        return self._reply(account, "resolve", city, round_id, question, resolution)

    def _reply(self, account: Account | None, action: str, city: str, round_id: str, question: int, reply: str) -> str:
        authorise(account, action, city)
        with self._lock:
            asked = {q["id"]: q for q in record.questions(self.steps(city, round_id))}
            if question not in asked:
                raise NotFound(f"no question {question} in round {city}/{round_id}")
            if asked[question]["resolution"]:
                raise Conflict(f"question {question} is resolved already")
            return self._transition(account, action, city, round_id, data_point=asked[question]["data_point"],
                                    answers=question, text=text(reply, action))

    def return_to_city(self, account: Account | None, city: str, round_id: str, comment: str) -> str:
        return self._transition(account, "return", city, round_id, text=text(comment, "comment"))

    def verify(self, account: Account | None, city: str, round_id: str) -> str:
        """The verification is complete: refused while a question is open or nothing was decided."""
        authorise(account, "verify", city)
        with self._lock:
            steps = self.steps(city, round_id)
            open_ = [q["id"] for q in record.questions(steps) if not q["resolution"]]
            if record.state(steps) == IN_VERIFICATION and open_:
                raise Conflict(f"verify: question{'s' * (len(open_) > 1)} {', '.join(map(str, open_))} still open")
            if record.state(steps) == IN_VERIFICATION and not record.decisions(steps):
                raise Conflict("verify: no data point has been decided")
            return self._transition(account, "verify", city, round_id)

    def publish(self, account: Account | None, city: str, round_id: str) -> Report:
        """Copy the verified round into the public store, checked and written as `import` writes a file."""
        authorise(account, "publish", city)
        check_round(city, round_id)
        with self._lock:
            steps = self.steps(city, round_id)
            after = next_state("publish", record.state(steps))
            step = self._step(steps, account, "publish", after)
            workflow = self._with(city, round_id, step)
            ctx, started = self.context(), dt.datetime.now(dt.UTC)
            with self.public() as store:
                known, new = resolve_city(store, city, None, None)
                stored = existing_round(store, self.iris, known, round_id)
                graph = decided(self.submission(city, round_id), self.iris, record.decisions(steps))
                rebuild_round(graph, self.iris, known, round_id, verified_info(stored, record.last(steps, "verify")))
                staged = Staged(known, round_id, graph, f"round {city}/{round_id}")
                report = check_staged(ctx, staged)
                if not report.conforms:
                    raise Refused(report)
                commit(store, ctx, staged, report, started, new, stored is not None,
                       also={self.iris.g_workflow(city, round_id): workflow})
            self.work.replace_graph(self.iris.g_workflow(city, round_id), workflow)
            return report

    # -- helpers -------------------------------------------------------------------------------
    def _transition(self, account: Account | None, action: str, city: str, round_id: str,
                    each: list[dict[str, Any]] | None = None, **fields: Any) -> str:
        """Check the account and the state, then record the step(s); the state after."""
        authorise(account, action, city)
        check_round(city, round_id)
        with self._lock:
            steps = self.steps(city, round_id)
            if record.state(steps) == NEW:
                raise NotFound(f"no round {city}/{round_id} in the workflow")
            after = next_state(action, record.state(steps))
            new = []
            for extra in each or [fields]:
                new.append(self._step(steps + new, account, action, after, **extra))
            self.work.replace_graph(self.iris.g_workflow(city, round_id), self._with(city, round_id, *new))
            return after

    def _step(self, steps: list[Step], account: Account, action: str, after: str, **fields: Any) -> Step:
        return Step(seq=(steps[-1].seq + 1 if steps else 1), action=action, agent=account.name,
                    agent_label=account.label, time=self.clock(), before=record.state(steps), after=after, **fields)

    def _with(self, city: str, round_id: str, *steps: Step) -> Graph:
        """The round's workflow graph with `steps` added."""
        graph = self.work.construct(sparql.load("construct_graph"), {"graph": self.iris.g_workflow(city, round_id)})
        for step in steps:
            graph += record.step_graph(self.iris, city, round_id, step)
        return graph

    def _data_points(self, city: str, round_id: str) -> dict[str, str | None]:
        """The draft's data points and their reporting status (reported / not_reported)."""
        return {i["data_point"]: i["status"] for i in self.items(city, round_id)}


class Refused(Invalid):
    """A file or round that does not conform: the report's findings go back to the caller."""

    def __init__(self, report: Report) -> None:
        first = report.violations[0]
        super().__init__(f"{report.source}: does not conform ({len(report.violations)} violation"
                         f"{'s' * (len(report.violations) > 1)}; first: {first.message})")
        self.report = report


def check_round(city: str, round_id: str) -> None:
    try:
        check_ids(city, round_id)
    except DataError as exc:
        raise NotFound(str(exc)) from None


def text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{what}: give some text")
    if len(value) > MAX_TEXT:
        raise Invalid(f"{what}: at most {MAX_TEXT} characters")
    return value.strip()


def decision_fields(d: Any, present: dict[str, str | None], i: int) -> dict[str, Any]:
    """One decision of the API's list, checked: the Step fields it becomes."""
    where = f"decisions[{i}]"
    if not isinstance(d, dict) or set(d) - {"data_point", "verified", "comment", "override", "reason"}:
        raise Invalid(f'{where}: an object with "data_point", "verified", "comment" (and "override", "reason")')
    if d.get("data_point") not in present:
        raise Invalid(f"{where}: data point {d.get('data_point')!r} is not in the round's draft")
    if not isinstance(d.get("verified"), bool):
        raise Invalid(f'{where}: "verified" must be true or false')
    fields = {"data_point": d["data_point"], "verified": d["verified"]}
    if d.get("comment"):
        fields["text"] = text(d["comment"], f"{where}.comment")
    if d.get("override") is not None:
        if d["override"] not in STATUS:
            raise Invalid(f'{where}: "override" must be one of {", ".join(STATUS)}')
        fields["override"], fields["reason"] = d["override"], text(d.get("reason"), f"{where}.reason")
    if d["verified"] and fields.get("override", present[d["data_point"]]) != "reported":
        # Refused now rather than at publish, where rule OBS-11 (verified ⇒ reported) would stop the round.
        raise Invalid(f"{where}: data point {d['data_point']} is not reported, and only a reported value can be "
                      "verified (rule OBS-11); decide verified false, or override the status to reported")
    return fields


# Properties only a reported item (an observation with a value) has.
REPORTED_ONLY = (KPI.value, KPI.unit, SDMX_ATTRIBUTE.decimals, QB.dataSet)


def decided(graph: Graph, iris: IRIs, decisions: dict[str, Step]) -> Graph:
    """The submission as published: each item's verification is the verifier's decision (none: not yet
    verified, whatever the city's file said), and an override changes its reporting status."""
    points = str(iris.datapoint(""))
    for item, dp in list(graph.subject_objects(KPI.dataPoint)):
        graph.remove((item, KPI.verificationStatus, None))
        decision = decisions.get(str(dp).removeprefix(points))
        if decision is None:
            continue
        graph.add((item, KPI.verificationStatus, VERIFICATION["verified" if decision.verified else "not_verified"]))
        if decision.override:
            override(graph, item, decision.override, decision.reason)
    return graph


def override(graph: Graph, item: URIRef, status: str, reason: str | None) -> None:
    graph.set((item, KPI.reportingStatus, STATUS[status]))
    for kind in (KPI.Observation, KPI.ItemNonResponse, QB.Observation):
        graph.remove((item, RDF.type, kind))
    if status == "reported":
        graph.add((item, RDF.type, KPI.Observation))
        graph.add((item, RDF.type, QB.Observation))
        graph.add((item, QB.dataSet, graph.value(item, KPI.submission)))
        graph.remove((item, KPI.reason, None))
        if reason:
            graph.set((item, RDFS.comment, Literal(reason)))
        return
    graph.add((item, RDF.type, KPI.ItemNonResponse))
    for p in REPORTED_ONLY:
        graph.remove((item, p, None))
    graph.set((item, KPI.reason, Literal(reason or "")))


def verified_info(stored: RoundInfo | None, verify: Step | None) -> RoundInfo:
    """What the published round says about its verification: who verified it and when (the verify step),
    with what else is on record about the round."""
    base = stored or RoundInfo()
    if verify is None:
        return base
    return RoundInfo(base.title, verify.time[:7], base.report_issued, verify.agent_label, base.assurance,
                     base.source, base.note)


def rebuild_round(graph: Graph, iris: IRIs, city: City, round_id: str, info: RoundInfo) -> None:
    """Replace the round, verification and verifier triples of a submission graph by those of `info`."""
    rnd, ver = iris.round(city.slug, round_id), iris.verification(city.slug, round_id)
    for agent in list(graph.objects(ver, PROV.wasAssociatedWith)):
        graph.remove((agent, None, None))
    for node in (rnd, ver, iris.submission(city.slug, round_id)):
        graph.remove((node, None, None))
    round_graph(graph, iris, city, round_id, info)
