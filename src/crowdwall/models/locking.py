"""Deleting rows that ingest refers to, without foreign-key constraints and without orphans.

``Post.source``, ``Post.author``, ``PostWall.post`` and ``PostWall.wall`` have no database
constraint (``db_constraint=False``): PostgreSQL checks a constraint with one query per
inserted row, and those four were a third of the database's work per stored post (measured:
22 instead of 36 us of server CPU per post). Django's ORM behaves the same without them (its
cascades are its own), so what the constraints guarded is done by the two sides explicitly:

- **ingest** (``crowdwall.ingest.store``) locks, once per chunk, the rows its inserts refer to
  (``FOR KEY SHARE``: what a constraint check takes) and fails cleanly when one is gone;
- **deletions** of walls, sources, authors and posts lock their rows first (``FOR UPDATE``,
  the walls' sources with them), so they wait for a chunk that is being stored and then
  collect what it inserted, instead of deleting around it.

Locks are taken in one order everywhere, walls before sources, so the two never deadlock.
SQLite needs none of it: one writer at a time, and a transaction that read stale rows cannot
write. Raw SQL deletes bypass all this; use the ORM (or the admin) to delete these rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models, router, transaction


def lock_for_delete(queryset: models.QuerySet[Any]) -> None:
    """Lock the rows of ``queryset`` (and what ``lock_also_for_delete`` names) ``FOR UPDATE``
    until the end of the current transaction; nothing where the database cannot."""
    connection = transaction.get_connection(queryset.db)
    if not connection.features.has_select_for_update:
        return
    keys = list(queryset.order_by("pk").select_for_update().values_list("pk", flat=True))
    also = getattr(queryset.model, "lock_also_for_delete", None)
    if also is not None and keys:
        for related in also(keys, queryset.db):
            list(related.order_by("pk").select_for_update().values_list("pk", flat=True))


class LockingQuerySet(models.QuerySet[Any]):
    """``delete()`` locks the rows first (see the module docstring)."""

    def delete(self) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=self.db, savepoint=False):
            lock_for_delete(self)
            return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class LockingDelete(models.Model):
    """Abstract base: ``objects`` and ``instance.delete()`` lock the rows before deleting."""

    objects = LockingQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, Any]:
        database = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=database, savepoint=False):
            lock_for_delete(type(self)._base_manager.using(database).filter(pk=self.pk))
            return super().delete(using=using, keep_parents=keep_parents)
