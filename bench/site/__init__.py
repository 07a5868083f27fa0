"""The Django project the benchmarks serve: minimal middleware, so the cache dominates."""
