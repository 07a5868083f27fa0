"""The kinds of source a wall can have, and how each kind's config is validated.

Framework-free and import-light (the Source model validates through it): each kind names its
adapter class by dotted path, loaded only when a stream runs. A kind whose adapter is ``None``
can be configured but not run yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Config = dict[str, Any]

# Upper bounds of the numeric config values (docs/security.md): beyond them a value is a
# mistake, and NaN or infinity is refused everywhere.
MAX_RATE = 100_000.0  # replay posts per second (0: as fast as possible)
MAX_BATCH = 10_000  # posts per batch
MAX_KEEP = 1_000_000  # replay: posts kept before each is deleted again (0: all kept)
HOUR = 3_600.0
DAY = 86_400.0


@dataclass(frozen=True)
class SourceKind:
    name: str
    label: str
    validate: Callable[[Config], Config]  # returns the cleaned config; raises ValueError
    adapter: str | None  # dotted path of the SourceAdapter subclass
    needs_secret: bool = False  # webhooks: HMAC secret; Mastodon: optional token
    url_key: str | None = None  # the config key ``add-source --url`` sets
    # Which walls the source's posts may reach ("own": its wall only; "any": every wall whose
    # rules match). ``scopes`` are the values allowed, the first is the default.
    scopes: tuple[str, ...] = ("own", "any")

    @property
    def default_scope(self) -> str:
        """The scope a source of this kind gets when none is given."""
        return self.scopes[0]


def _only(config: Config, allowed: set[str]) -> None:
    if not isinstance(config, dict):
        raise ValueError("The config must be a JSON object.")
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValueError(
            f"Unknown config key(s): {', '.join(unknown)}; known: {', '.join(sorted(allowed))}."
        )


def _url(value: Any, key: str, schemes: set[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} is required.")
    parts = urlsplit(value.strip())
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{key!r} must be a {'/'.join(sorted(schemes))} URL, not {value!r}.")
    return value.strip().rstrip("/") if parts.path in ("", "/") else value.strip()


def _number(
    config: Config,
    key: str,
    default: float,
    *,
    minimum: float,
    maximum: float,
    integer: bool = False,
) -> Any:
    """``config[key]`` (or ``default``) as a finite number in ``[minimum, maximum]``.

    NaN and infinities fail the range comparison (and could not be stored as JSON anyway:
    the database refused them with an error that read like a duplicate name)."""
    value = config.get(key, default)
    kind = "an integer" if integer else "a number"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not minimum <= value <= maximum
    ):
        raise ValueError(f"{key!r} must be {kind} from {minimum:g} to {maximum:g}, not {value!r}.")
    if integer and value != int(value):
        raise ValueError(f"{key!r} must be an integer, not {value!r}.")
    return int(value) if integer else float(value)


def _flag(config: Config, key: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false, not {value!r}.")
    return value


def _bounded(key: str, values: list[str], limit: str) -> None:
    """A list of the config within the bounds of the wall rule it narrows."""
    from crowdwall.rule_limits import list_errors  # framework-free, like this module

    errors = list_errors(limit, values)
    if errors:
        raise ValueError(f"{key!r}: {errors[0]}")


def _tags(config: Config) -> list[str]:
    tags = config.get("hashtags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip("# ") for t in tags):
        raise ValueError("'hashtags' must be a list of hashtags.")
    _bounded("hashtags", tags, "hashtags")
    return [t.strip().lstrip("#") for t in tags]


def validate_replay(config: Config) -> Config:
    from crowdwall.conf import conf  # here, not at the top: this module stays settings-free
    from crowdwall.sources.replay_files import REFUSED, resolve_replay_path

    _only(
        config,
        {"path", "rate", "loop", "retime", "batch_size", "pacing", "speed", "keep", "site_url"},
    )
    path = config.get("path") or ""
    resolved = resolve_replay_path(path, conf.REPLAY_DIRS) if path else None
    if path and resolved is None:
        raise ValueError(REFUSED)
    cleaned: Config = {
        "rate": _number(config, "rate", 20.0, minimum=0, maximum=MAX_RATE),
        "loop": _flag(config, "loop", False),
        "retime": _flag(config, "retime", True),
        "batch_size": _number(
            config, "batch_size", 100, minimum=1, maximum=MAX_BATCH, integer=True
        ),
    }
    pacing = config.get("pacing", "steady")
    if pacing not in ("steady", "recorded"):
        raise ValueError(f"'pacing' must be 'steady' or 'recorded', not {pacing!r}.")
    if pacing != "steady" or "speed" in config:  # stored only when set: old configs unchanged
        cleaned["pacing"] = pacing
        cleaned["speed"] = _number(config, "speed", 1.0, minimum=0.01, maximum=MAX_RATE)
    if "keep" in config:
        cleaned["keep"] = _number(config, "keep", 0, minimum=0, maximum=MAX_KEEP, integer=True)
    if config.get("site_url"):
        cleaned["site_url"] = _url(config["site_url"], "site_url", {"https", "http"})
    if resolved is not None:  # stored resolved: the stream reads exactly what was checked
        cleaned["path"] = str(resolved)
    return cleaned


def validate_mastodon(config: Config) -> Config:
    _only(config, {"instance", "hashtags", "poll_interval", "accounts", "stream"})
    cleaned: Config = {
        "instance": _url(config.get("instance"), "instance", {"https", "http"}),
        "hashtags": _tags(config),  # empty: the wall's hashtags
        # Polling peers stay at >= 10 s and never overlap requests (DESIGN §5).
        "poll_interval": _number(config, "poll_interval", 15.0, minimum=10, maximum=DAY),
    }
    if "accounts" in config:  # account ids ("109"), or handles ("@ann", "ann@host.example")
        accounts = config["accounts"]
        if not isinstance(accounts, list) or not all(
            isinstance(a, str) and a.strip("@ ") and not any(c.isspace() for c in a.strip())
            for a in accounts
        ):
            raise ValueError("'accounts' must be a list of account ids or handles.")
        _bounded("accounts", accounts, "accounts")
        cleaned["accounts"] = [a.strip() for a in accounts]
    if "stream" in config:  # with a token (the secret): live via the streaming API
        cleaned["stream"] = _flag(config, "stream", True)
    return cleaned


def validate_bluesky(config: Config) -> Config:
    import re  # here, not at the top: the other kinds never need it

    from crowdwall.ingest.match import parse_keyword  # framework-free, like this module

    allowed = {"endpoint", "hashtags", "keywords", "accounts", "batch_size", "batch_interval"}
    _only(
        config, allowed | {"progress_interval", "overlap", "profile_lookup", "profile_lookup_url"}
    )
    endpoint = config.get("endpoint") or "wss://jetstream2.us-east.bsky.network/subscribe"
    keywords = config.get("keywords", [])
    if not isinstance(keywords, list) or not all(
        isinstance(k, str) and k.strip() for k in keywords
    ):
        raise ValueError("'keywords' must be a list of keywords.")
    _bounded("keywords", keywords, "keywords")
    for keyword in keywords:
        parse_keyword(keyword)  # ValueError says what is wrong with it
    accounts = config.get("accounts", [])
    did = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$")
    if not isinstance(accounts, list) or not all(
        isinstance(a, str) and did.match(a.strip()) for a in accounts
    ):
        raise ValueError("'accounts' must be a list of DIDs (did:plc:..., not @handles).")
    if len(accounts) > 10_000:
        raise ValueError("Jetstream follows at most 10,000 'accounts' per connection.")
    return {
        "endpoint": _url(endpoint, "endpoint", {"wss", "ws"}),
        "hashtags": _tags(config),  # empty: the wall's hashtags
        "keywords": [k.strip() for k in keywords],
        "accounts": list(dict.fromkeys(a.strip() for a in accounts)),
        "batch_size": _number(
            config, "batch_size", 100, minimum=1, maximum=MAX_BATCH, integer=True
        ),
        "batch_interval": _number(config, "batch_interval", 0.5, minimum=0, maximum=60),
        "progress_interval": _number(config, "progress_interval", 5.0, minimum=0, maximum=HOUR),
        "overlap": _number(config, "overlap", 5.0, minimum=0, maximum=HOUR),
        # Ask the AppView about first-seen authors' profile label (bluesky_profiles).
        "profile_lookup": _flag(config, "profile_lookup", True),
        "profile_lookup_url": _url(
            config.get("profile_lookup_url") or "https://public.api.bsky.app",
            "profile_lookup_url",
            {"https", "http"},
        ),
    }


def validate_rss(config: Config) -> Config:
    _only(config, {"url", "poll_interval", "timeout"})
    return {
        "url": _url(config.get("url"), "url", {"https", "http"}),
        "poll_interval": _number(config, "poll_interval", 300.0, minimum=30, maximum=DAY),
        "timeout": _number(config, "timeout", 20.0, minimum=1, maximum=300),
    }


def validate_webhook(config: Config) -> Config:
    _only(config, set())
    return {}


KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        # Replay posts are made up and a feed names its own authors (any URL): their own
        # wall by default, so neither can pass for another wall's accounts unless staff say so.
        SourceKind(
            "replay", "Replay file (demo)", validate_replay, "crowdwall.sources.replay.ReplaySource"
        ),
        SourceKind(
            "mastodon",
            "Mastodon instance",
            validate_mastodon,
            "crowdwall.sources.mastodon.MastodonSource",
            url_key="instance",
            scopes=("any", "own"),  # public posts, authors as the network names them
        ),
        SourceKind(
            "bluesky",
            "Bluesky Jetstream",
            validate_bluesky,
            "crowdwall.sources.bluesky.BlueskySource",
            url_key="endpoint",
            scopes=("any", "own"),  # public posts, authors as the network names them
        ),
        SourceKind(
            "rss", "RSS/Atom feed", validate_rss, "crowdwall.sources.rss.RSSSource", url_key="url"
        ),
        SourceKind(
            "webhook",
            "Webhook",
            validate_webhook,
            "crowdwall.sources.webhook.WebhookSource",
            needs_secret=True,
            # Whoever holds the secret writes the posts, authors included: never other walls.
            scopes=("own",),
        ),
    )
}


def get_kind(name: str) -> SourceKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"Unknown source kind {name!r}; known: {', '.join(KINDS)}.") from None
