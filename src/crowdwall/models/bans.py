"""Per-wall bans: authors whose posts never appear, words that keep a post off the wall."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from crowdwall.ingest.match import normalize_account, parse_keyword
from crowdwall.models.walls import Wall
from crowdwall.rule_limits import LIMITS


class BannedAuthor(models.Model):
    """An author banned from a wall, by stable id (or ``@handle``, case-insensitive)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="banned_authors")
    account = models.CharField(max_length=255, help_text="Stable account id, or @handle.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "account"], name="crowdwall_banned_author_once")
        ]

    def __str__(self) -> str:
        return self.account

    def clean(self) -> None:
        super().clean()
        self.account = normalize_account(self.account)
        if self.account in ("", "@"):
            raise ValidationError({"account": "Name an account id or @handle."})
        _check_room(self, "banned_authors", "account", account=self.account)


class BannedWord(models.Model):
    """A word or phrase (keyword syntax: ``"exact phrase"``, ``prefix*``, ``=Case``) that
    rejects a post on this wall."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="banned_words")
    word = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wall", "word"], name="crowdwall_banned_word_once")
        ]

    def __str__(self) -> str:
        return self.word

    def clean(self) -> None:
        super().clean()
        self.word = self.word.strip()
        try:
            parse_keyword(self.word)
        except ValueError as exc:
            raise ValidationError({"word": str(exc)}) from exc
        _check_room(self, "banned_words", "word", word=self.word)


def _check_room(ban: BannedAuthor | BannedWord, limit: str, field: str, **same: str) -> None:
    """A new ban must fit in its wall's limit (``crowdwall.rule_limits``); saving an existing
    ban again, or one the wall has already, takes no room."""
    if ban.pk is not None or ban.wall_id is None:
        return
    bans = type(ban).objects.filter(wall_id=ban.wall_id)
    allowed = LIMITS[limit]
    if bans.exclude(**same).count() >= allowed.count:
        raise ValidationError(
            {field: f"A wall has at most {allowed.count:,} {allowed.noun}: lift one first."}
        )
