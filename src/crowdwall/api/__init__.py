"""crowdwall's JSON API (django-ninja): walls, posts, figures, moderation, sources, bans.

``crowdwall.api.api.api`` is the ``NinjaAPI`` instance; ``crowdwall.urls`` mounts it at
``/api/``. See ``docs/api.md`` for the user-facing description.
"""
