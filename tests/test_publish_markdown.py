"""The Markdown export is text: no link, heading, list, emphasis or HTML comes from an answer.

The exported file is rendered with two Markdown renderers (python-markdown, markdown-it-py):
the only elements are the card's own heading, section headings and paragraphs, and the
paragraphs read exactly as the answers were typed.
"""

from __future__ import annotations

from html.parser import HTMLParser

import markdown
import pytest
from factories import make_practice
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from publish_support import front_matter, settings_for

from yhteistuumin_survey.publish import markdown_text, publish_site

NASTY = [
    "[klikkaa](javascript:alert(1))", "# otsikko", "1. kesäkuuta alkaen", "2) toinen",
    "- lista", "+ plus", "* tähti", "> lainaus", "---", "***", "___", "===",
    "    sisennetty koodi", "*kursiivi* _alleviivattu_ **lihava** `koodi`",
    "<b>html</b> & &amp; <!-- kommentti --> <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| 1 | 2 |", "~~yliviivattu~~ <https://x.fi> ![kuva](x.png)",
    "otsikko\n=======", "otsikko\n-------", "rivin loppu  \nseuraava", "kenoviiva \\ lopussa\\",
    "[viite]: https://x.fi", "<div>lohko</div>", "```\naita\n```", "&#60;b&#62;",
    "Tervetuloa! Lisätietoja: www.kunta.fi (ks. alla).",
]
RENDERERS = {"python-markdown": markdown.markdown,
             "markdown-it": MarkdownIt().render,
             "markdown-it tables": MarkdownIt("js-default").render}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.tags.append("!--")


def rendered(text: str, render) -> tuple[list[str], str]:
    parser = _Elements()
    parser.feed(render(markdown_text(text)))
    return parser.tags, "".join(parser.text)


def plain(text: str) -> str:
    return " ".join(" ".join(line.strip() for line in text.splitlines()).split())


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("text", NASTY)
def test_an_answer_renders_as_one_paragraph_of_its_own_text(text, renderer):
    tags, content = rendered(text, RENDERERS[renderer])

    assert tags == ["p"], (tags, markdown_text(text))
    assert plain(content) == plain(text)


_markup_alphabet = st.text(alphabet=st.sampled_from(list("#*_-+=.)>`[]()!<>&|~{}\\ \n1aä:/")),
                           max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=_markup_alphabet)
def test_any_mix_of_markup_characters_stays_text(text):
    for render in RENDERERS.values():
        tags, content = rendered(text, render)
        assert set(tags) <= {"p"}, (tags, markdown_text(text))
        assert plain(content) == plain(text)


def test_the_published_markdown_file_renders_answers_as_text(workspace, session):
    summary = "[klikkaa](javascript:alert(1))\n# otsikko\n1. kesäkuuta alkaen\n<b>lihava</b>"
    practice = make_practice(session, title="*Lukupiiri* [x](y)", status="approved",
                             summary=summary, goal="> lainaus\n---")

    cms = publish_site(workspace, session=session, settings=settings_for(workspace)).cms

    text = next(p for p in cms.glob("*.md") if p.name.startswith(str(practice.id)))
    meta, body = front_matter(text.read_text())
    assert meta["title"] == "*Lukupiiri* [x](y)"
    for render in RENDERERS.values():
        parser = _Elements()
        parser.feed(render(body))
        assert "a" not in parser.tags and "ol" not in parser.tags and "em" not in parser.tags
        assert "blockquote" not in parser.tags and "hr" not in parser.tags
        assert "b" not in parser.tags
        assert parser.tags.count("h1") == 1 and set(parser.tags) <= {"h1", "h2", "p"}
        rendered_text = "".join(parser.text)
        assert "[klikkaa](javascript:alert(1))" in rendered_text
        assert "# otsikko" in rendered_text and "1. kesäkuuta alkaen" in rendered_text
