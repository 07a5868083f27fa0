"""Per-wall bans: authors whose posts never appear, words that keep a post off the wall."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from crowdwall.ingest.match import normalize_account, parse_keyword
from crowdwall.models.walls import Wall


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
