"""The states of a city × round and the transitions between them (issue 20).

draft → submitted → in verification → verified → published; the verifier may return a round to the city
(back to draft) from submitted, in verification or verified. During verification the city may upload a
corrected file and answer questions as often as needed. A transition the state does not allow is a
Conflict (HTTP 409).
"""

from __future__ import annotations

from registry.namespaces import KPI
from registry.workflow.access import Conflict

NEW, DRAFT, SUBMITTED, IN_VERIFICATION, VERIFIED, PUBLISHED = (
    "new", "draft", "submitted", "in_verification", "verified", "published")
STATES = (DRAFT, SUBMITTED, IN_VERIFICATION, VERIFIED, PUBLISHED)
STATE_IRI = {DRAFT: KPI.StateDraft, SUBMITTED: KPI.StateSubmitted, IN_VERIFICATION: KPI.StateInVerification,
             VERIFIED: KPI.StateVerified, PUBLISHED: KPI.StatePublished}
STATE_OF = {iri: state for state, iri in STATE_IRI.items()}

# (action, state before) → state after.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("upload", NEW): DRAFT,
    ("upload", DRAFT): DRAFT,  # a new draft replaces the previous one
    ("upload", IN_VERIFICATION): IN_VERIFICATION,  # a corrected file, asked for by the verifier
    ("submit", DRAFT): SUBMITTED,
    ("decide", SUBMITTED): IN_VERIFICATION,  # the verifier's first decision or question opens verification
    ("decide", IN_VERIFICATION): IN_VERIFICATION,
    ("ask", SUBMITTED): IN_VERIFICATION,
    ("ask", IN_VERIFICATION): IN_VERIFICATION,
    ("answer", IN_VERIFICATION): IN_VERIFICATION,
    ("resolve", IN_VERIFICATION): IN_VERIFICATION,
    ("return", SUBMITTED): DRAFT,
    ("return", IN_VERIFICATION): DRAFT,
    ("return", VERIFIED): DRAFT,
    ("verify", IN_VERIFICATION): VERIFIED,
    ("publish", VERIFIED): PUBLISHED,
}


def next_state(action: str, state: str) -> str:
    """The state after `action`, or Conflict naming what the state allows."""
    after = TRANSITIONS.get((action, state))
    if after is None:
        allowed = sorted(a for a, s in TRANSITIONS if s == state)
        raise Conflict(f"{action}: not allowed while the round is {label(state)} "
                       f"(allowed: {', '.join(allowed) or 'nothing'})")
    return after


def label(state: str) -> str:
    return state.replace("_", " ")
