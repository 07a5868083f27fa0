"""The site the acceptance tests drive: crowdwall's pages, live updates and the admin login,
served by uvicorn (``asgi.py``) on a SQLite file, with herdcache on memcached and its edge on."""

PASSWORD = "acceptance-only"
