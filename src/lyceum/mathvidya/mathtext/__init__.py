"""Maths in question text, made legible in a browser: plain text in, HTML with MathML out.

The question bank writes maths the way a typed CBSE paper does (`synthetic/mathfmt.py`, and
teachers typing into the editor): Unicode superscripts (x²), √ before a number or a
parenthesised expression, fractions as `p/q`, π, and matrices as `[[1, 2], [3, 4]]`. Read
flat, `√3/2` and `[[2, -1], [0, 3]]` are hard to parse at a glance; this module turns those
four shapes into MathML, which Chromium, Firefox and Safari draw natively (MathML Core) —
no JavaScript, no fonts or scripts fetched or copied in — and leaves everything else as
escaped text, so nothing a teacher types can inject markup.

Pure: no database, no web imports; `markupsafe` (Jinja's) marks the result safe for templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

# A fraction's numerator or denominator: 2√3, √3, 3π, π, 12, 1.5, (a + b), or one letter
# standing alone (x/2, but not the "km" of km/h).
_ATOM = r"(?:\d*√\d+|\d*π|\d+(?:\.\d+)?|\([^()/]{1,40}\)|(?<![A-Za-z])[A-Za-z](?![A-Za-z]))"
_FRACTION = re.compile(rf"(?P<top>{_ATOM})/(?P<bottom>{_ATOM})")
_ENTRY = r"\s*-?[0-9./√π]+\s*"
_ROW = rf"\[{_ENTRY}(?:,{_ENTRY})*\]"
_MATRIX = re.compile(rf"\[\s*{_ROW}(?:\s*,\s*{_ROW})+\s*\]")
_ROOT = re.compile(r"(?P<coefficient>\d*)√(?:\((?P<group>[^()]{1,60})\)|(?P<plain>\d+|[A-Za-z]))")
_TOKEN = re.compile(
    rf"(?P<matrix>{_MATRIX.pattern})|(?P<fraction>{_FRACTION.pattern})|(?P<root>{_ROOT.pattern})"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _text(value: str) -> str:
    return str(escape(value))


def _atom(value: str) -> str:
    """MathML for a fraction's part or a matrix entry."""
    value = value.strip()
    negative = value.startswith("-")
    body = value[1:] if negative else value
    root = _ROOT.fullmatch(body)
    if root is not None:
        inner = _root(root)
    elif body.endswith("π"):
        coefficient = body[:-1]
        inner = f"<mrow><mn>{coefficient}</mn><mi>π</mi></mrow>" if coefficient else "<mi>π</mi>"
    elif _NUMBER.fullmatch(body):
        inner = f"<mn>{body}</mn>"
    elif body.startswith("(") and body.endswith(")"):
        # Brackets that group a fraction's part: the fraction bar groups it already.
        inner = f"<mtext>{_text(body[1:-1])}</mtext>"
    else:
        inner = f"<mi>{_text(body)}</mi>"
    return f"<mrow><mo>-</mo>{inner}</mrow>" if negative else inner


def _root(match: re.Match[str]) -> str:
    coefficient = match.group("coefficient")
    group, plain = match.group("group"), match.group("plain")
    if group is not None:
        radicand = f"<mtext>{_text(group)}</mtext>"
    elif plain is not None and plain.isdigit():
        radicand = f"<mn>{plain}</mn>"
    else:
        radicand = f"<mi>{_text(plain or '')}</mi>"
    if not coefficient:
        return f"<msqrt>{radicand}</msqrt>"
    return f"<mrow><mn>{coefficient}</mn><msqrt>{radicand}</msqrt></mrow>"


def _entry(value: str) -> str:
    fraction = _FRACTION.fullmatch(value.strip().lstrip("-"))
    if fraction is None:
        return _atom(value)
    sign = "<mo>-</mo>" if value.strip().startswith("-") else ""
    return f"<mrow>{sign}{_fraction(fraction)}</mrow>"


def _fraction(match: re.Match[str]) -> str:
    return f"<mfrac>{_atom(match.group('top'))}{_atom(match.group('bottom'))}</mfrac>"


def _matrix(source: str) -> str:
    rows = re.findall(r"\[([^\[\]]*)\]", source)
    cells = "".join(
        "<mtr>" + "".join(f"<mtd>{_entry(cell)}</mtd>" for cell in row.split(",")) + "</mtr>"
        for row in rows
    )
    return f"<mrow><mo>[</mo><mtable>{cells}</mtable><mo>]</mo></mrow>"


_RENDERERS: dict[str, Callable[[re.Match[str]], str]] = {
    "matrix": lambda match: _matrix(match.group("matrix")),
    "fraction": lambda match: _fraction(_FRACTION.fullmatch(match.group("fraction"))),  # type: ignore[arg-type]
    "root": lambda match: _root(_ROOT.fullmatch(match.group("root"))),  # type: ignore[arg-type]
}


def render(text: str) -> Markup:
    """`text` as HTML: the maths in MathML (`<math>` elements, each with the source as its
    accessible label), the rest escaped."""
    pieces: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        # The alternative that matched (`lastgroup` may name a group nested inside it).
        kind = next(name for name in _RENDERERS if match.group(name) is not None)
        pieces.append(_text(text[position : match.start()]))
        source = match.group(0)
        pieces.append(f'<math aria-label="{_text(source)}">{_RENDERERS[kind](match)}</math>')
        position = match.end()
    pieces.append(_text(text[position:]))
    return Markup("".join(pieces))  # noqa: S704 - all input text went through escape()


__all__ = ["render"]
