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

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={"a": {"href"}, "img": {"src", "alt", "title"}},
    allowed_classes={"span": {"invisible", "ellipsis"}, "img": {"emoji"}},
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    strip_comments=True,
)

# Where the text breaks, as the sanitizer writes these tags (lower case, ``<br>`` unclosed);
# first, the newline right after ``<pre>`` that HTML parsers drop.
_BREAKS = [("<pre>\n", "<pre>"), ("</p>", "\n\n"), ("</blockquote>", "\n\n"), ("</pre>", "\n\n"), ("</ul>", "\n\n"),
           ("</ol>", "\n\n"), ("<br>", "\n"), ("</li>", "\n")]  # fmt: skip
# A tag as the sanitizer writes it: attribute values always double-quoted, with '"', '<' and
# '>' inside them escaped (and '<' escaped in text), so every '<' of its output opens a tag.
_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
_SPACES = re.compile(r"[^\S\n]+")
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
    cleaned = _cleaner.clean(value).strip()
    return _IMG.sub(_drop_images, cleaned) if "<img" in cleaned else cleaned


def _drop_images(found: re.Match[str]) -> str:
    """An emoji image as it is; any other image removed (see the module docstring)."""
    tag = found.group(0)
    return tag if _EMOJI_CLASS.search(tag) and _EMOJI_SRC.search(tag) else ""


def html_to_text(safe_html: str) -> str:
    """Plain text of *sanitized* HTML: paragraphs and line breaks become newlines.

    Only for the sanitizer's output: its tags can be dropped by a regular expression (a second
    HTML parse would find the same text, at twice the cost), and its entities unescaped once.
    """
    if not safe_html:
        return ""
    if "<img" in safe_html:  # a custom emoji reads as its :shortcode:
        safe_html = _EMOJI_ALT.sub(r"\1", safe_html)
    for tag, newlines in _BREAKS:
        if tag in safe_html:
            safe_html = safe_html.replace(tag, newlines)
    text = _SPACES.sub(" ", html.unescape(_TAG.sub("", safe_html)))
    return _BLANK_LINES.sub("\n\n", "\n".join([line.strip() for line in text.split("\n")])).strip()


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
