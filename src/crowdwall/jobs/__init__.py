"""Clustered, resumable maintenance jobs over the whole database (DESIGN §7).

    manage.py crowdwall reindex --cluster=2/4 --processes 3     # after a rule change
    manage.py crowdwall rebuild-aggregates --cluster=1/1        # per-wall and per-author counts
    manage.py crowdwall rebuild-analytics --wall djangocon      # analytics rollups per minute

- ``slicing``: primary-key chunks and which node owns which (framework-free).
- ``log``: the completion log (``JobRun``, ``JobChunk``): a chunk's done marker commits with
  its work, so an interrupted run resumes where it stopped.
- ``runner`` / ``worker``: one transaction per chunk, in-process or in a spawned process pool.
- ``base``: the ``Job`` contract; ``reindex`` and ``aggregates``: the two jobs.
- ``command``: the ``manage.py crowdwall`` subcommands' options, progress and reports.

This package imports nothing from Django at import time (spawned workers import it first).
"""

from crowdwall.jobs.slicing import Chunk, Cluster, node_slice, plan_chunks

__all__ = ["Chunk", "Cluster", "node_slice", "plan_chunks"]
