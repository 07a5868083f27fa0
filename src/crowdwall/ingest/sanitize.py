"""Make post HTML safe to put on our pages, and extract its plain text.

An allow-list, never a block-list: anything not named here is dropped. nh3 (the Rust ammonia
library) parses the HTML the way a browser would, so mis-nested and obfuscated markup cannot slip
through as it does past regular expressions.

- Tags: ``p br a span strong em b i ul ol li blockquote code pre``; the text inside ``script``,
  ``style``, ``svg``, ``math``, ``template`` ... is dropped with the tag (ammonia's defaults plus
  ours).
- Attributes: only ``a[href]`` and the classes Mastodon uses to shorten links
  (``span.invisible``, ``span.ellipsis``). No ``style``, no event handlers, no ids.
- Images: only custom emoji, ``<img class="emoji" src alt title>`` with an http(s) ``src``
  (``crowdwall.sources.mastodon.shapes`` writes them; CSS keeps them text-sized). Every
  other image is removed: a post's pictures are its media, shown apart with their alt texts.
- URLs: absolute ``http``, ``https`` and ``mailto`` only; ``javascript:``, ``data:``,
  ``vbscript:`` and relative URLs are removed (after entity decoding, so ``jav&#x09;ascript:``
  is caught too).
- Every link gets ``rel="nofollow noopener noreferrer"`` and ``target="_blank"``.
- Block boundaries survive the tags that made them (``BLOCK_TAGS``: ``div``, ``h1``-``h6``,
  ``section``, ``dl``/``dt``/``dd``, table rows, ``hr``, ``figure`` ...): a run of them becomes
  one ``<br>`` (nothing where a kept block tag already breaks the line), table cells a space.
  Dropped with nothing in between, ``<div>#DjangoCon</div><div>Tomorrow</div>`` would read as
  the hashtag ``#DjangoConTomorrow``; now text, matching and pages all see two lines.

Sanitizing happens once, at ingest; templates output the stored HTML as is.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "span",
        "strong",
        "em",
        "b",
        "i",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "img",  # custom emoji only: see _drop_images
    }
)
LINK_REL = "nofollow noopener noreferrer"
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "noscript",
        "title",
        "textarea",
    }
)

# Block-level tags outside the allow-list: let through the cleaner (it parses them as a browser
# does and drops their attributes but ``lang``/``title``), then replaced by line breaks below.
BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "caption", "center", "dd", "details", "dialog", "dir", "div",
     "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
     "hgroup", "hr", "main", "menu", "nav", "section", "summary", "table", "tbody", "tfoot",
     "thead", "tr"}
)  # fmt: skip
CELL_TAGS = frozenset({"td", "th"})

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS | BLOCK_TAGS | CELL_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={"a": {"href"}, "img": {"src", "alt", "title"}},
    allowed_classes={"span": {"invisible", "ellipsis"}, "img": {"emoji"}},
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    strip_comments=True,
)

# Where the text breaks, as the sanitizer writes these tags (lower case, ``<br>`` unclosed):
# either side of a paragraph-like block (p, lists, quotes, pre) a paragraph, of a list item a
# line (one between two items); blank lines collapse to one afterwards. First, the newline
# right after ``<pre>`` that HTML parsers drop. Plain replacements (cheaper than expressions);
# the same tags with the attributes the cleaner keeps on them (lang, title) by expression.
_BREAKS = [("<pre>\n", "<pre>"), ("</li><li>", "\n"), ("<p>", "\n\n"), ("</p>", "\n\n"),
           ("<br>", "\n"), ("<li>", "\n"), ("</li>", "\n"), ("<ul>", "\n\n"), ("</ul>", "\n\n"),
           ("<ol>", "\n\n"), ("</ol>", "\n\n"), ("<blockquote>", "\n\n"),
           ("</blockquote>", "\n\n"), ("<pre>", "\n\n"), ("</pre>", "\n\n")]  # fmt: skip
_PARAGRAPH_TAG = re.compile(r"<(?:p|[uo]l|blockquote|pre)\s[^>]*>")
_ITEM_TAG = re.compile(r"<li\s[^>]*>")
# A tag as the sanitizer writes it: attribute values always double-quoted, with '"', '<' and
# '>' inside them escaped (and '<' escaped in text), so every '<' of its output opens a tag.
_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
# The names of BLOCK_TAGS and CELL_TAGS as a trie (Python's re tries alternatives one by one:
# a flat list of 36 names costs more than the cleaner's own work on a typical post).
_BLOCK_NAME = (
    r"(?:a(?:ddress|rticle|side)|c(?:aption|enter)|d(?:[dlt]|etails|i(?:alog|r|v))"
    r"|f(?:ig(?:caption|ure)|ooter)|h(?:[1-6r]|eader|group)|m(?:ain|enu)|nav|section|summary"
    r"|t(?:able|body|foot|head|[dhr]))"
)
_BLOCK_TAG = re.compile(rf"</?{_BLOCK_NAME}[\s>]")
# A run of them (with the whitespace around) in the cleaner's output, where attribute values are
# quoted with '>' escaped: '[^>]*' cannot run past the tag.
_BLOCK_RUN = re.compile(rf"\s*(?:</?{_BLOCK_NAME}(?:\s[^>]*)?>\s*)+")
_CELL_RUN = re.compile(r"(?:\s*</?t[dh](?:\s[^>]*)?>\s*)+")
# Kept tags that break the line by themselves: a boundary next to one needs no <br> of its own.
_BREAKING = re.compile(r"</?(?:p|ul|ol|li|blockquote|pre)(?:\s[^>]*)?>|<br>")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# An image as the cleaner writes it ('>' escaped in attribute values), and what makes it an emoji.
_IMG = re.compile(r"<img\b[^>]*>")
_EMOJI_CLASS = re.compile(r'\sclass="emoji"')
_EMOJI_SRC = re.compile(r'\ssrc="https?://')
_EMOJI_ALT = re.compile(r'<img\b[^>]*\salt="(:\w{1,100}:)"[^>]*>')
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def sanitize_html(value: str) -> str:
    """Safe HTML for our pages (see the module docstring for what survives)."""
    if not value:
        return ""
    cleaned = _cleaner.clean(value)
    if _BLOCK_TAG.search(cleaned):  # most posts have none: one quick scan to know
        cleaned = _BLOCK_RUN.sub(_boundary, cleaned)
    cleaned = cleaned.strip()
    return _IMG.sub(_drop_images, cleaned) if "<img" in cleaned else cleaned


def _boundary(match: re.Match[str]) -> str:
    """What a run of block tags becomes: nothing at either end of the post or beside a tag
    that breaks the line anyway, a space between table cells, else one line break."""
    start, end, whole = match.start(), match.end(), match.string
    if start == 0 or end == len(whole):
        return ""
    if _CELL_RUN.fullmatch(match.group(0)):
        return " "
    after_break = whole.endswith(">", 0, start) and bool(
        _BREAKING.fullmatch(whole, whole.rfind("<", 0, start), start)
    )
    return "" if after_break or _BREAKING.match(whole, end) else "<br>"


def _drop_images(found: re.Match[str]) -> str:
    """An emoji image as it is; any other image removed (see the module docstring)."""
    tag = found.group(0)
    return tag if _EMOJI_CLASS.search(tag) and _EMOJI_SRC.search(tag) else ""


def html_to_text(safe_html: str) -> str:
    """Plain text of *sanitized* HTML: paragraphs, list items and line breaks become newlines.

    Only for the sanitizer's output: its tags can be dropped by a regular expression (a second
    HTML parse would find the same text, at twice the cost), and its entities unescaped once.
    """
    if not safe_html:
        return ""
    if ' lang="' in safe_html or ' title="' in safe_html:
        safe_html = _ITEM_TAG.sub("\n", _PARAGRAPH_TAG.sub("\n\n", safe_html))
    if "<img" in safe_html:  # a custom emoji reads as its :shortcode:
        safe_html = _EMOJI_ALT.sub(r"\1", safe_html)
    for tag, newlines in _BREAKS:
        if tag in safe_html:
            safe_html = safe_html.replace(tag, newlines)
    text = html.unescape(_TAG.sub("", safe_html))
    # Each line's runs of white space as one space, and none at its ends: ``split()`` splits
    # at the characters ``\s`` matches (str.isspace), as ``re.sub(r"[^\S\n]+", " ", line)``
    # then ``strip()`` would, without a match object for every single space.
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """Safe HTML for a plain-text post (Bluesky, some feeds): escaped, paragraphs, links."""
    paragraphs = [p.strip() for p in _BLANK_LINES.split(text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph, quote=True)
        linked = _URL.sub(
            lambda m: f'<a href="{m.group(0)}" target="_blank" rel="{LINK_REL}">{m.group(0)}</a>',
            escaped,
        )
        out.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    # Through the cleaner as well: the one place that decides what our HTML may contain.
    return sanitize_html("".join(out))


def truncate_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    space = cut.rfind(" ")
    if space >= limit // 2:  # a word boundary, unless that throws away half the text
        cut = cut[:space]
    return cut.rstrip() + "…"
