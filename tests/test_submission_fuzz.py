"""Property: random edits of a valid CSV never crash the importer, and a rejection changes nothing."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.submissions.ingest import Context, import_submission
from registry.store import OxigraphStore
from registry.submissions.staged import COLUMNS
from registry.tables import DataError

from .test_submission import TRONDHEIM, read_rows

ROWS = read_rows(TRONDHEIM)
cells = st.one_of(st.text(max_size=12), st.sampled_from(["-1", "1e400", "NaN", "yes", "12,5 %", "1.000,5", "reported", "not_reported", "verified", "", "EC-ICT-ICT-99C"]))
edits = st.lists(st.tuples(st.integers(0, len(ROWS) - 1), st.sampled_from(COLUMNS), cells), min_size=1, max_size=4)
structural = st.sampled_from(["none", "duplicate", "drop", "truncate"])


def render(rows, kind: str) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    text = buf.getvalue()
    return text[: len(text) // 2] if kind == "truncate" else text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=edits, kind=structural)
def test_random_edits_never_crash_and_rejections_change_nothing(staged, iris, tmp_path, changes, kind):
    rows = [dict(r) for r in ROWS]
    for index, column, value in changes:
        rows[index][column] = value
    if kind == "duplicate":
        rows.append(dict(rows[0]))
    elif kind == "drop":
        rows.pop()
    path = tmp_path / "fuzz.csv"
    path.write_text(render(rows, kind), encoding="utf-8")
    with OxigraphStore() as store:
        store.replace_graphs(staged)
        before = store.dump()
        try:
            report = import_submission(store, Context.from_store(store, iris), path, "trondheim", "2020-09")
        except DataError:
            report = None
        if report is None or not report.conforms:
            assert store.dump() == before
