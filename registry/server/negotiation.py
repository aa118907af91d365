"""Proactive content negotiation on `Accept` (RFC 9110 §12.5.1), shared by every blueprint.

Written out rather than taken from werkzeug's `best_match` because the registry needs the RFC's
rule that the *most specific* matching range decides a type's quality, so `text/html;q=0, */*`
really excludes HTML; ties go to the server's order of preference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How closely this range matches `media_type`: 2 exact, 1 `type/*`, 0 `*/*`, -1 no match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The ranges of an Accept header; a missing or empty header accepts anything (RFC 9110 §12.5.1)."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        kind, _, sub = fields[0].lower().partition("/")
        if not kind or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The q-value the client gives `media_type`: that of the most specific range matching it."""
    best, q = -1, 0.0
    for r in ranges:
        s = r.specificity(media_type)
        if s > best:
            best, q = s, r.q
    return q


def html_quality(ranges: Sequence[MediaRange]) -> float:
    """text/html's q-value, where a client that names application/xhtml+xml but not text/html itself gets
    the HTML pages at XHTML's q: XHTML user agents render text/html, and a server may answer in a type other
    than Accept lists rather than 406 (RFC 9110 §12.5.1). `text/html;q=0` is still taken at its word."""
    if any(r.specificity("text/html") == 2 for r in ranges):
        return quality(ranges, "text/html")
    xhtml = [r.q for r in ranges if r.specificity("application/xhtml+xml") == 2]
    return max([quality(ranges, "text/html"), *xhtml])


def negotiate(header: str | None, offered: Sequence[str]) -> str | None:
    """The offered type the client prefers (ties: the server's order), or None when none is acceptable (406)."""
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for media_type in offered:
        q = html_quality(ranges) if media_type == "text/html" else quality(ranges, media_type)
        if q > best_q:
            best, best_q = media_type, q
    return best
