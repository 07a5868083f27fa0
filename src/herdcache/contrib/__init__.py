"""Optional add-ons to herdcache: compatibility layers for sites moving from other caches."""
