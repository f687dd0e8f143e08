"""Question text to HTML with MathML: the four shapes the bank writes become MathML, and
nothing a teacher types becomes markup."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from lyceum.mathvidya.mathtext import render

MATHML_TAGS = {"math", "mrow", "mfrac", "msqrt", "mn", "mi", "mo", "mtext", "mtable", "mtr", "mtd"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def tags_of(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_a_matrix_becomes_a_table_of_its_entries() -> None:
    html = str(render("If A = [[2, -1], [0, 3/4]], find |A|."))
    assert html.startswith("If A = <math")
    assert html.count("<mtr>") == 2 and html.count("<mtd>") == 4
    assert "<mfrac><mn>3</mn><mn>4</mn></mfrac>" in html
    assert html.endswith(", find |A|.")


def test_fractions_roots_and_pi_are_drawn_and_labelled_with_their_source() -> None:
    html = str(render("sin 60° = √3/2, and 2√3/3 + π/6 = √(r² + h²)"))
    assert (
        '<math aria-label="√3/2"><mfrac><msqrt><mn>3</mn></msqrt><mn>2</mn></mfrac></math>' in html
    )
    assert "<mfrac><mrow><mn>2</mn><msqrt><mn>3</mn></msqrt></mrow><mn>3</mn></mfrac>" in html
    assert "<mfrac><mi>π</mi><mn>6</mn></mfrac>" in html
    assert "<msqrt><mtext>r² + h²</mtext></msqrt>" in html


def test_words_with_slashes_and_markup_stay_text() -> None:
    assert str(render("a speed of 60 km/h")) == "a speed of 60 km/h"
    assert str(render("<script>alert(1)</script> & x")) == str(
        escape("<script>alert(1)</script> & x")
    )


@given(st.text(alphabet=st.characters(blacklist_characters="√/[π")))
def test_text_without_maths_is_only_escaped(text: str) -> None:
    assert str(render(text)) == str(escape(text))


@given(st.text(alphabet="0123456789√/[], π()x<>&\"' -"))
def test_whatever_is_typed_the_only_elements_are_mathml(text: str) -> None:
    assert set(tags_of(str(render(text)))) <= MATHML_TAGS
