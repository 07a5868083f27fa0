"""crowdwall: a multi-wall live social wall for Django (pages cached with herdcache)."""

__version__ = "0.1.0"
