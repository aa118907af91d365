"""Numbers as city staff write them (NUM-1): decimal commas, thin spaces, `%`; never an exponent, never
more digits than the store keeps exactly (XSD 1.1 Part 2 §3.3.3.1)."""

from __future__ import annotations

import re
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.term import Node
from rdflib.namespace import XSD



# XSD 1.1 Part 2 §3.3.3.1: the decimal lexical space, ASCII digits only and no exponent. The registry
# holds at most 18 digits on either side of the decimal mark: Oxigraph keeps xsd:decimal exactly with
# 18 fractional digits (±1.7 × 10^20) and xsd:integer as a 64-bit integer (±9.2 × 10^18), and beyond
# that a comparison in a rule is an error instead of an answer (docs/rules.md, NUM-1).
_DECIMAL = re.compile(r"[+-]?(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?")
_EXPONENT = re.compile(r"[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+")
MAX_DIGITS = 18
RANGE = f"at most {MAX_DIGITS} digits before the decimal mark and {MAX_DIGITS} after it"
BOOLEANS = {"yes": "true", "no": "false", "ja": "true", "nei": "false", "true": "true", "false": "false"}
SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")  # spacing inside a number or a label: any Unicode space


def _plain(text: str) -> str | None:
    """The cell without spacing and `%`, with `.` as its decimal mark; None when the marks are ambiguous.

    Decimal commas and thin-space thousands separators are how Norwegians write numbers; a cell with
    both `,` and `.` could mean either and is refused rather than guessed."""
    cell = SPACES.sub("", text).removesuffix("%")
    if "," in cell:
        if "." in cell or cell.count(",") > 1:
            return None
        cell = cell.replace(",", ".")
    return cell


def _read_number(cell: str) -> tuple[Decimal | None, str | None]:
    """(the number, None), (None, why it is refused), or (None, None) when the text is no number at all.

    Every check runs on the text before `Decimal` sees it, so no cell costs more than its length to
    read (Decimal would expand `1e999999` digit by digit)."""
    if _EXPONENT.fullmatch(cell):
        return None, f"exponent notation is not accepted: write the number in full ({RANGE})"
    if any(c.isdecimal() and not c.isascii() for c in cell):
        return None, "digits other than 0-9 are not accepted: write the number with 0-9"
    match = _DECIMAL.fullmatch(cell)
    if not match or not (match["whole"] or match["fraction"]):
        return None, None
    whole, fraction = match["whole"].lstrip("0"), (match["fraction"] or "").rstrip("0")
    if len(whole) > MAX_DIGITS or len(fraction) > MAX_DIGITS:
        return None, (f"{len(whole)} digits before the decimal mark and {len(fraction)} after it: the registry "
                      f"holds numbers of {RANGE}")
    return Decimal(cell), None


def number_problem(text: str) -> str | None:
    """Why a cell that is written as a number is still refused (rule NUM-1), or None."""
    cell = _plain(text)
    return None if cell is None else _read_number(cell)[1]


def normalise_number(text: str) -> str | None:
    """`96,00 %` / `67 240.10` / `1.05` → canonical decimal text (`-0` is `0`); None when it is not a
    number the registry accepts (docs/rules.md)."""
    cell = _plain(text)
    number = None if cell is None else _read_number(cell)[0]
    if number is None:
        return None
    return format(number.normalize(), "f") if number != number.to_integral_value() else str(int(number))


def decimals_given(text: str) -> int | None:
    """How many decimals the city wrote (`96,00 %` → 2): the value is stored canonically for computing,
    and this precision with it (sdmx-attribute:decimals), so that what is printed is what was submitted."""
    cell = _plain(text)
    match = _DECIMAL.fullmatch(cell) if cell is not None and _read_number(cell)[0] is not None else None
    return len(match["fraction"]) if match and match["fraction"] else None


def as_printed(value: Literal, decimals: Node | None = None) -> str:
    """A value as the city gave it: yes/no, or the number with the decimals it was submitted with."""
    if value.datatype == XSD.boolean:
        return "yes" if str(value) == "true" else "no"
    if decimals is not None and value.datatype in (XSD.decimal, XSD.integer):
        return format(Decimal(str(value)), f".{int(decimals)}f")
    return str(value)


def value_literal(text: str, datatype: URIRef) -> Literal:
    """The cell as a literal of the unit's datatype, or a plain string that rule OBS-6 will reject."""
    if datatype == XSD.boolean:
        canonical = BOOLEANS.get(text.strip().lower())
    else:
        canonical = normalise_number(text)
        if canonical is not None and datatype == XSD.integer and "." in canonical:
            canonical = None
    return Literal(text) if canonical is None else Literal(canonical, datatype=datatype)
