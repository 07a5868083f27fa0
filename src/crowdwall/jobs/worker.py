"""The worker side of a job's process pool: spawn-safe, so nothing here touches Django at import.

Workers are started with the ``spawn`` method (a fresh interpreter: no database connection, lock
or thread inherited from the parent) and set Django up themselves from the parent's
``DJANGO_SETTINGS_MODULE`` and ``sys.path``. A failing ``prepare()`` is kept and raised from the
first task rather than from the pool initializer: a raising initializer makes
``multiprocessing.Pool`` respawn workers forever.
"""

from __future__ import annotations

from typing import Any

_state: dict[str, Any] = {}


def init(name: str, params: dict[str, Any], run_id: int, sleep: float) -> None:
    """Pool initializer: Django, then the job, prepared once for this process."""
    try:
        import django

        django.setup()
        from crowdwall.jobs.base import get_job

        job = get_job(name)(params)
        job.prepare()
    except BaseException as exc:  # raised from work(), see the module docstring
        _state["error"] = exc
        return
    _state.update(job=job, run_id=run_id, sleep=sleep)


def work(bounds: tuple[int, int]) -> tuple[int, int, dict[str, int] | None]:
    """One chunk in this process: ``(start, end, stats)``, stats ``None`` if already done."""
    import time

    from crowdwall.jobs.runner import process_chunk
    from crowdwall.jobs.slicing import Chunk

    if "error" in _state:
        raise _state["error"]
    stats = process_chunk(_state["job"], _state["run_id"], Chunk(*bounds))
    if _state["sleep"]:
        time.sleep(_state["sleep"])
    return bounds[0], bounds[1], stats
