"""A tiny app of models for the dependency tracking tests (tests/herdcache/test_tracking*.py)."""
