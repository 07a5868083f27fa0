"""Sanitizing post HTML against an XSS corpus, and extracting plain text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdwall.ingest.sanitize import (
    _BLOCK_TAG,
    ALLOWED_TAGS,
    BLOCK_TAGS,
    CELL_TAGS,
    LINK_REL,
    html_to_text,
    sanitize_html,
    text_to_html,
    truncate_text,
)
from crowdwall.ingest.terms import tags_in

ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "target"}, "span": {"class"}}

# Payloads from the usual XSS cheat sheets (OWASP, PortSwigger), plus Mastodon-style markup.
XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<body onload="alert(1)">',
    '<p onclick="alert(1)" onmouseover=alert(2)>click</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="java\0script:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<a href="//evil.example/">protocol-relative</a>',
    '<a href="/relative">relative</a>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    '<svg onload="alert(1)"><circle r=10 /></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math href="javascript:alert(1)">CLICK</math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<div><p><a href="https://ok.example/"><strong>nested <em>deep <script>alert(1)</script></em></strong></a></p></div>',
    "<p>unclosed <strong>bold <em>italic",
    "</p></div></body><script>alert(1)</script>",
    '<a href="https://ok.example/" target="_self" rel="opener" onclick="x()">link</a>',
    '<span class="invisible" style="display:block" id="x">https://</span>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<p>\"quotes\" &amp; 'apostrophes' &#60;script&#62;</p>",
    '<a href="https://ok.example/?q=<script>">q</a>',
    '<img src="https://ok.example/a.png" alt="" onload=\'alert(1)\'>',
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    '<a href="https://ok.example" onpointerenter="alert(1)" data-x="1">data attr</a>',
]


class Inspector(HTMLParser):
    """Collects every tag, attribute and text chunk of sanitized output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_safe(output: str) -> None:
    inspector = Inspector()
    inspector.feed(output)
    inspector.close()
    for tag, attrs in inspector.tags:
        assert tag in ALLOWED_TAGS, (tag, output)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, attrs, output)
        if tag == "a":
            assert attrs.get("rel") == LINK_REL
            assert attrs.get("target") == "_blank"
            href = attrs.get("href")
            assert href is None or href.startswith(("https://", "http://", "mailto:")), output
        if tag == "span" and "class" in attrs:
            assert set((attrs["class"] or "").split()) <= {"invisible", "ellipsis"}
    assert "<script" not in output.lower() and "<style" not in output.lower()
    values = " ".join(str(v) for _, attrs in inspector.tags for v in attrs.values())
    assert "javascript:" not in html.unescape(values).lower()


@pytest.mark.parametrize("payload", XSS)
def test_xss_corpus_is_neutralised(payload):
    output = sanitize_html(payload)
    assert_safe(output)
    assert sanitize_html(output) == output


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>ok",
        "<SCRIPT SRC=https://evil.example/x.js>alert(1)</SCRIPT>ok",
        "<svg><script>alert(1)</script></svg>ok",
        "<template><script>alert(1)</script></template>ok",
        "<style>alert(1){}</style>ok",
        '<iframe srcdoc="x">alert(1)</iframe>ok',
        "<!--<img src=x onerror=alert(1)>-->ok",
    ],
)
def test_script_and_style_content_is_dropped_not_shown_as_text(payload):
    assert html_to_text(sanitize_html(payload)) == "ok"


def test_links_get_rel_and_target_and_keep_their_href():
    output = sanitize_html(
        '<a href="https://ok.example/?a=1&amp;b=2" target="_self" rel="opener">x</a>'
    )
    assert output == (
        '<a href="https://ok.example/?a=1&amp;b=2" target="_blank" '
        'rel="nofollow noopener noreferrer">x</a>'
    )


def test_unsafe_and_relative_urls_are_removed_but_the_text_stays():
    for href in (
        "javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "data:text/html,x",
        "/rel",
        "//evil.example/",
    ):
        output = sanitize_html(f'<a href="{href}">label</a>')
        assert "href" not in output
        assert "label" in output


def test_allowed_markup_survives():
    markup = (
        "<p>Hello <strong>bold</strong> <em>em</em> <code>x</code><br>line</p>"
        "<blockquote>quote</blockquote><ul><li>one</li></ul><ol><li>two</li></ol><pre>pre</pre>"
    )
    assert sanitize_html(markup) == markup


def test_mastodon_link_markup_keeps_its_classes():
    mastodon = (
        '<p><a href="https://ok.example/long/path" rel="nofollow noopener" target="_blank">'
        '<span class="invisible">https://</span><span class="ellipsis">ok.example/lo</span>'
        '<span class="invisible">ng/path</span></a></p>'
    )
    output = sanitize_html(mastodon)
    assert '<span class="invisible">https://</span>' in output
    assert '<span class="ellipsis">ok.example/lo</span>' in output


def test_entities_stay_escaped():
    assert (
        sanitize_html("&lt;script&gt;alert(1)&lt;/script&gt;")
        == "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert html_to_text("<p>a &amp; b &lt;3</p>") == "a & b <3"


def test_plain_text_extraction_keeps_paragraphs_and_lines():
    safe = sanitize_html(
        "<p>One<br>two</p><p>Three   <strong>four</strong></p><ul><li>a</li><li>b</li></ul>"
    )
    assert html_to_text(safe) == "One\ntwo\n\nThree four\n\na\nb"


@pytest.mark.parametrize(
    ("raw", "safe", "text"),
    [
        (
            "<div>Join us at #DjangoCon</div><div>Tomorrow</div>",
            "Join us at #DjangoCon<br>Tomorrow",
            "Join us at #DjangoCon\nTomorrow",
        ),
        ("<h1>Title</h1>Body<hr>more", "Title<br>Body<br>more", "Title\nBody\nmore"),
        ('<h2 lang="en" title="t">A</h2><section>B</section>', "A<br>B", "A\nB"),
        ("<dl><dt>When</dt><dd>Today</dd></dl>", "When<br>Today", "When\nToday"),
        (
            "<table><tr><th>a</th><td>b</td></tr><tr><td>c</td></tr></table>d",
            "a b<br>c<br>d",
            "a b\nc\nd",
        ),
        ("<figure>img</figure><figcaption>cap</figcaption>", "img<br>cap", "img\ncap"),
        ("<article><div>x</div>\n\n <div>y</div></article>", "x<br>y", "x\ny"),
        # Beside a kept block tag no extra line: the tag breaks it already.
        ("<p>x</p><div>y</div><p>z</p>", "<p>x</p>y<p>z</p>", "x\n\ny\n\nz"),
        ("<ul><li><div>a</div></li><li>b</li></ul>", "<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("a<br><div>b</div>", "a<br>b", "a\nb"),
        ("<blockquote>q</blockquote><div>r</div>", "<blockquote>q</blockquote>r", "q\n\nr"),
        # Inline tags join words as a browser shows them.
        ("<div><b>Dj</b>ango<u>Con</u></div>", "<b>Dj</b>angoCon", "DjangoCon"),
        # Text before a paragraph is a paragraph of its own.
        ("intro<p>body</p>", "intro<p>body</p>", "intro\n\nbody"),
    ],
)
def test_block_boundaries_become_line_breaks(raw, safe, text):
    assert sanitize_html(raw) == safe
    assert html_to_text(safe) == text
    assert sanitize_html(safe) == safe  # idempotent: reindex sanitizes stored HTML again


def test_every_block_tag_is_found_and_no_kept_tag_is():
    for tag in BLOCK_TAGS | CELL_TAGS:
        assert _BLOCK_TAG.search(f"x<{tag}>y") and _BLOCK_TAG.search(f'</{tag} lang="de">'), tag
    for tag in ALLOWED_TAGS | {"abbr", "hgroups", "thx", "dialogs"}:
        assert not _BLOCK_TAG.search(f"<{tag}>x</{tag}>"), tag


def test_hashtags_of_block_markup_do_not_merge():
    text = html_to_text(sanitize_html("<div>Join us at #DjangoCon</div><div>Tomorrow</div>"))
    assert tags_in(text) == ["djangocon"]


# Block elements a post may contain, with the children the HTML parser keeps in place (text in
# a table outside its cells is moved out of it, so tables get rows and cells only).
_BLOCKS = ["div", "p", "h1", "h3", "h6", "section", "article", "aside", "header", "footer",
           "nav", "main", "figure", "figcaption", "blockquote", "dl", "dt", "dd", "ul", "ol", "li",
           "address", "center", "details", "summary", "pre"]  # fmt: skip
_WORD = st.text("abcXYZ019#_", min_size=1, max_size=6)
_TEXT = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)


def _element(children: list[str], tag: str) -> str:
    return f"<{tag}>{''.join(children)}</{tag}>"


def _cells(texts: list[list[str]]) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{t}</td>" for t in row) + "</tr>" for row in texts)
    return f"<table>{rows}</table>"


_NODE = st.recursive(
    _TEXT.map(html.escape),
    lambda inner: st.one_of(
        st.builds(_element, st.lists(inner, min_size=1, max_size=4), st.sampled_from(_BLOCKS)),
        st.lists(st.lists(_TEXT, min_size=1, max_size=3), min_size=1, max_size=3).map(_cells),
        st.lists(inner, min_size=2, max_size=4).map("<br>".join),
        st.lists(inner, min_size=2, max_size=4).map("<hr>".join),
    ),
    max_leaves=12,
)


class _TextNodes(HTMLParser):
    """The text nodes of a document, as a parser reports them between any two tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []

    def handle_data(self, data: str) -> None:
        self.nodes.append(data)


def _shown_words(safe: str) -> list[str]:
    """The words of sanitized HTML as a browser lays it out: only inline tags join text."""
    inline = "a|span|strong|em|b|i|code"
    marked = re.sub(rf"<(?!/?(?:{inline})\b)[^>]*>", " ", safe)
    return html.unescape(re.sub(r"<[^>]*>", "", marked)).split()


@settings(max_examples=200, deadline=None)
@given(st.lists(_NODE, min_size=1, max_size=4).map("".join))
def test_no_word_spans_two_text_nodes_of_block_markup(markup):
    parser = _TextNodes()
    parser.feed(markup)
    words = [word for node in parser.nodes for word in node.split()]
    safe = sanitize_html(markup)
    assert html_to_text(safe).split() == words  # the plain text: matching, API, screen
    assert _shown_words(safe) == words  # the HTML as pages show it


def test_text_to_html_escapes_and_links():
    output = text_to_html('Hi <b>there</b> & see https://ok.example/x?y=1&z=2.\n\nSecond "para"')
    assert output.startswith(
        '<p>Hi &lt;b&gt;there&lt;/b&gt; &amp; see <a href="https://ok.example/x?y=1&amp;z=2"'
    )
    assert output.endswith('<p>Second "para"</p>')
    assert_safe(output)


def test_text_to_html_does_not_link_javascript():
    output = text_to_html("javascript:alert(1) and http://ok.example")
    assert 'href="http://ok.example"' in output
    assert "javascript:alert(1)" in output  # as text only
    assert_safe(output)


MARKUP = st.lists(
    st.sampled_from(
        [
            "<",
            ">",
            "/",
            "=",
            '"',
            "'",
            " ",
            "a",
            "p",
            "script",
            "img",
            "svg",
            "on",
            "error",
            "href",
            "javascript:",
            "data:",
            "&#",
            "x09;",
            ";",
            "alert(1)",
            "style",
            "!--",
            "-->",
            "<a ",
            "<p>",
            "</p>",
            "<script>",
            "<svg>",
            "<math>",
            "src",
            "&lt;",
            "\n",
        ]
    ),
    max_size=40,
).map("".join)


def _text_by_second_parse(safe: str) -> str:
    """``html_to_text`` by a second nh3 parse: a paragraph break either side of p, lists,
    quotes and pre, a line break either side of li (one between two items) and after br."""
    marked = re.sub(r"</li><li>", "\n\\g<0>", safe)
    marked = re.sub(r"</?(?:p|ul|ol|blockquote|pre)\b[^>]*>", "\n\n\\g<0>\n\n", marked, flags=re.I)
    marked = re.sub(r"(?<!</li>)<li\b[^>]*>", "\n\\g<0>", marked, flags=re.I)
    marked = re.sub(r"</li>(?!<li>)", "\\g<0>\n", marked, flags=re.I)
    marked = re.sub(r"<br\s*/?>", "\\g<0>\n", marked, flags=re.I)
    text = html.unescape(nh3.clean(marked, tags=set(), clean_content_tags=set()))
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n\s*\n+", "\n\n", "\n".join(lines)).strip()


POST_MARKUP = st.lists(
    st.sampled_from(
        ["<p>", "</p>", "<br>", "<br/>", "<ul>", "<li>", "</li>", "</ul>", "<blockquote>",
         "<pre>", "<code>", '<span class="invisible">', '<span class="ellipsis">', "</span>",
         '<a href="https://x.example/?a=1&amp;b=2>3">', '<a href="https://x.example/\'q">',
         "</a>", "&amp;", "&nbsp;", "\u00a0", "\t", "  ", "\n\n", " text ", "#tag", "&lt;b&gt;"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(MARKUP, POST_MARKUP, st.sampled_from(XSS), st.text(max_size=80)))
def test_text_extraction_matches_a_second_html_parse(fragment):
    safe = sanitize_html(fragment)
    assert html_to_text(safe) == _text_by_second_parse(safe)


def test_truncate_text_cuts_at_a_word_with_an_ellipsis():
    assert truncate_text("short", 10) == "short"
    cut = truncate_text("alpha beta gamma delta epsilon", 20)
    assert cut == "alpha beta gamma…"
    assert len(cut) <= 20


@settings(max_examples=300, deadline=None)
@given(MARKUP)
def test_fuzzed_markup_is_always_safe(fragment):
    output = sanitize_html(fragment)
    assert_safe(output)
    assert sanitize_html(output) == output  # idempotent: sanitizing stored HTML changes nothing
