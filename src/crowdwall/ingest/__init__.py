"""Ingest: normalize -> sanitize -> match -> store, then publish (one event per post and change).

``crowdwall.ingest.write.ingest(source, items, cursor=...)`` is the entry point; sources call
it with the batches their adapters produce.
"""
