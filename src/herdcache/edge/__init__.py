"""Edge serving: nginx answers cache hits straight from memcached; Django renders only misses.

``ketama`` (node choice compatible with nginx ``hash $memcached_key consistent``), ``store``
(what goes into memcached, under which key, for which requests), ``nginx`` (config generator).
"""
