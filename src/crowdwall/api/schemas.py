"""Request and response bodies of the API (pydantic models via ninja ``Schema``).

Input schemas forbid unknown keys (a typo is a 422, not silently ignored). Output shapes of
posts follow ``crowdwall.live.frames.post_payload``, so the API, the live frames and the wall
page's JavaScript share one post format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from crowdwall.api.inputs import MESSAGE, holds_nul
from crowdwall.params import MAX_ID
from crowdwall.sources.kinds import KINDS

# Database ids are 64-bit (crowdwall.params.MAX_ID): larger numbers are refused as input (422),
# not sent to the database.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Strict(Schema):
    """A request body: unknown keys are refused, and so are values of another JSON type
    (``0`` for ``false``, ``"1"`` for ``1``): lax coercion would accept what the schema says
    is invalid. Text holding NUL is refused in every field."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # Every field, nested values and keys of free-form objects included: PostgreSQL cannot
        # store NUL, so it is refused here for both databases (crowdwall.api.inputs).
        if holds_nul(value):
            raise PydanticCustomError("nul", MESSAGE)
        return value


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class Error(Schema):
    """Every error response: ``{"error": {"code", "message", "fields"}}``."""

    error: ErrorDetail


class Meta(Schema):
    limit: int
    next: str | None
    previous: str | None
    total_count: int


class AuthorOut(Schema):
    id: str
    handle: str
    display_name: str
    avatar_url: str
    profile_url: str
    bot: bool


class Counts(Schema):
    boosts: int | None
    favourites: int | None
    replies: int | None


class MediaOut(Schema):
    """An attachment; ``alt`` is always there ("" when the author wrote none)."""

    url: str
    type: str = Field(description="image, video, gifv, audio or unknown")
    alt: str = ""
    preview_url: str = ""
    blurhash: str = Field("", description="A placeholder (https://blurha.sh), or empty.")


class CardOut(Schema):
    """A link preview card."""

    url: str
    title: str = ""
    description: str = ""
    image: str = ""
    image_alt: str = ""
    site: str = ""
    blurhash: str = ""


class PollOptionOut(Schema):
    title: str
    votes: int | None = Field(None, description="null while the server hides the counts")


class PollOut(Schema):
    options: list[PollOptionOut]
    votes: int | None = None
    voters: int | None = Field(None, description="People who voted (multiple choice polls)")
    multiple: bool = False
    expires_at: str = ""
    closed: bool = False


class QuoteOut(Schema):
    """The post a post quotes: its link and author; ``text`` when the network sent it along."""

    url: str
    id: str = ""
    handle: str = ""
    name: str = ""
    profile_url: str = ""
    text: str = ""


class PostOut(Schema):
    """A post on a wall: ``post_payload`` plus this wall's ``pinned`` and (staff only) ``state``."""

    id: int
    source_id: int
    external_id: str
    url: str
    author: AuthorOut
    html: str
    text: str
    spoiler_text: str
    sensitive: bool
    media: list[MediaOut]
    card: CardOut | None = None
    poll: PollOut | None = None
    quote: QuoteOut | None = None
    hashtags: list[str]
    language: str
    reply: bool
    boost: bool
    created_at: str
    edited_at: str | None
    date_estimated: bool = Field(
        False, description="The post's own date could not be read: created_at is a guess."
    )
    counts: Counts
    pinned: bool
    state: str | None = Field(None, description="This wall's moderation state (staff only).")


class PostPage(Schema):
    meta: Meta
    objects: list[PostOut]


class TopAuthor(Schema):
    author: AuthorOut
    posts: int


class TopAuthorPage(Schema):
    meta: Meta
    objects: list[TopAuthor]


class CountOut(Schema):
    slug: str
    count: int


ModerationModeName = Literal["open", "pre_approve", "accounts_only"]
ThemeName = Literal["dark", "light", "contrast", "brand"]
LayoutName = Literal["columns", "spotlight", "media", "ticker"]
PositionName = Literal["bottom-left", "bottom-right", "top-left", "top-right"]
SizeName = Literal["s", "m", "l"]
BackgroundName = Literal["transparent", "chroma"]
MAX_SLIDES = 50


class SlideOut(Schema):
    title: str
    text: str
    image_url: str
    image_alt: str
    is_active: bool


class SlideIn(Strict):
    """A sponsor or announcement slide: a title, a text and/or an image."""

    title: str = Field("", max_length=120)
    text: str = Field("", max_length=300)
    image_url: str = Field("", max_length=500)
    image_alt: str = Field("", max_length=200)
    is_active: bool = True


class WallOut(Schema):
    slug: str
    name: str
    is_active: bool
    hashtags: list[str]
    keywords: list[str]
    accounts: list[str]
    languages: list[str]
    moderation: str
    use_default_blocklist: bool
    hide_replies: bool
    hide_boosts: bool
    hide_bots: bool
    hide_sensitive: bool
    followed_accounts_opt_in: bool
    screen_theme: str
    screen_layout: str
    brand_color: str
    logo_url: str
    slide_every: int
    overlay_position: str
    overlay_size: str
    overlay_background: str
    info_text: str
    qr_url: str
    created_at: datetime
    updated_at: datetime


class WallDetail(WallOut):
    post_count: int = Field(description="Approved posts (the same figure as /count/).")
    slides: list[SlideOut] = Field(description="The big screen's slides, in order.")


class WallPage(Schema):
    meta: Meta
    objects: list[WallOut]


class WallPatch(Strict):
    """Wall fields to change; validated like the admin form (``Wall.clean``)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    is_active: bool | None = None
    hashtags: list[str] | None = None
    keywords: list[str] | None = None
    accounts: list[str] | None = None
    languages: list[str] | None = None
    moderation: ModerationModeName | None = None
    use_default_blocklist: bool | None = None
    hide_replies: bool | None = None
    hide_boosts: bool | None = None
    hide_bots: bool | None = None
    hide_sensitive: bool | None = None
    followed_accounts_opt_in: bool | None = None
    screen_theme: ThemeName | None = None
    screen_layout: LayoutName | None = None
    brand_color: str | None = Field(None, max_length=7)
    logo_url: str | None = Field(None, max_length=500)
    slide_every: int | None = Field(None, ge=0, le=1000)
    overlay_position: PositionName | None = None
    overlay_size: SizeName | None = None
    overlay_background: BackgroundName | None = None
    info_text: str | None = Field(None, max_length=300)
    qr_url: str | None = Field(None, max_length=500)
    slides: list[SlideIn] | None = Field(
        None, max_length=MAX_SLIDES, description="Replaces all of the wall's slides, in order."
    )


class WallIn(WallPatch):
    """A new wall: ``name`` and ``slug`` are required."""

    name: str = Field(min_length=1, max_length=200)  # type: ignore[assignment]
    slug: str = Field(min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")  # type: ignore[assignment]


class ModerationIn(Strict):
    action: Literal["approve", "reject", "hide", "pin", "unpin"]
    posts: list[Id] = Field(min_length=1, max_length=500)


class ChangedOut(Schema):
    changed: int


class LogEntryOut(Schema):
    id: int
    actor: str
    action: str
    post_id: int | None
    count: int
    detail: dict[str, Any]
    created_at: datetime


class LogPage(Schema):
    meta: Meta
    objects: list[LogEntryOut]


class AuthorBanIn(Strict):
    """Ban by ``account`` (stable id or @handle), or name a ``post`` to ban its author."""

    account: str | None = Field(None, min_length=1, max_length=255)
    post: Id | None = None
    note: str = Field("", max_length=200)


class WordBanIn(Strict):
    word: str = Field(min_length=1, max_length=200)


class AuthorBanOut(Schema):
    account: str
    note: str
    created_at: datetime


class WordBanOut(Schema):
    word: str
    created_at: datetime


class AuthorBanResult(AuthorBanOut):
    rejected: int = Field(description="Posts already on the wall that the ban removed.")


class WordBanResult(WordBanOut):
    rejected: int = Field(description="Posts already on the wall that the ban removed.")


class AuthorBanPage(Schema):
    meta: Meta
    objects: list[AuthorBanOut]


class WordBanPage(Schema):
    meta: Meta
    objects: list[WordBanOut]


# The kinds registered in crowdwall.sources.kinds, so the schema lists exactly those.
SourceKindName = Literal[tuple(KINDS)]  # type: ignore[valid-type]
SourceScopeName = Literal["own", "any"]


class SourceOut(Schema):
    """A source; its ``secret`` is write-only (``has_secret`` says whether one is set)."""

    id: int
    name: str
    kind: str
    config: dict[str, Any]
    include_all: bool
    scope: str = Field(description="own: its wall only; any: every wall whose rules match.")
    enabled: bool
    has_secret: bool
    last_ingest_at: datetime | None
    last_error: str
    created_at: datetime
    webhook_url: str | None = Field(None, description="Where to deliver (webhook sources).")


class SourcePage(Schema):
    meta: Meta
    objects: list[SourceOut]


class SourcePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    config: dict[str, Any] | None = None
    secret: str | None = Field(None, max_length=255, description="Write-only.")
    include_all: bool | None = None
    scope: SourceScopeName | None = Field(
        None,
        description=(
            "Which walls its posts may reach: own (its wall only) or any (every wall whose "
            "rules match). Default per kind; a webhook's is always own."
        ),
    )
    enabled: bool | None = None


class SourceIn(SourcePatch):
    name: str = Field(min_length=1, max_length=100)  # type: ignore[assignment]
    kind: SourceKindName
