"""How a job's table is cut into chunks, and which chunks belong to which node (framework-free).

**Chunks** are half-open primary-key ranges aligned to multiples of the chunk size *C*:
chunk *b* ("bucket" *b*) is ``[b*C, (b+1)*C)``. Alignment makes a chunk's identity depend only
on *C* and the ids, never on where a scan happened to start, so the completion log written by one
run is understood by the next one. A job plans only the buckets that hold at least one row (one
``GROUP BY id / C`` query), so sparse ids do not cost a transaction per empty range.

**Cluster slices**: ``--cluster=k/N`` takes the planned chunks at positions *i* with
``i mod N == k - 1``. Every chunk belongs to exactly one node (the slices are disjoint and cover
the plan) and node sizes differ by at most one chunk, whatever the id distribution. Every node
reads the same plan (it is stored with the job's run), so nodes started at different times
still agree on the slicing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CLUSTER = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Cluster:
    """The ``k``-th (1-based) of ``n`` nodes."""

    k: int = 1
    n: int = 1

    def __post_init__(self) -> None:
        if self.n < 1 or not 1 <= self.k <= self.n:
            raise ValueError(f"A cluster slice is k/N with 1 <= k <= N, not {self.k}/{self.n}.")

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"

    @classmethod
    def parse(cls, value: str) -> Cluster:
        """``"2/10"`` -> ``Cluster(2, 10)``; ``ValueError`` for anything else."""
        match = _CLUSTER.match(value)
        if match is None:
            raise ValueError(f"Expected k/N (such as 1/4), not {value!r}.")
        return cls(int(match.group(1)), int(match.group(2)))

    def owns(self, position: int) -> bool:
        """Whether the chunk at this position of the plan is this node's."""
        return position % self.n == self.k - 1


@dataclass(frozen=True, slots=True, order=True)
class Chunk:
    """Primary keys ``start <= pk < end``."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"


def bucket_of(pk: int, chunk_size: int) -> int:
    """The aligned bucket a primary key falls in."""
    return pk // chunk_size


def chunk_for(bucket: int, chunk_size: int) -> Chunk:
    return Chunk(bucket * chunk_size, (bucket + 1) * chunk_size)


def plan_buckets(ids: Iterable[int], chunk_size: int) -> list[int]:
    """The sorted buckets that hold at least one of ``ids`` (what a database ``GROUP BY`` gives)."""
    if chunk_size < 1:
        raise ValueError("The chunk size must be at least 1.")
    return sorted({bucket_of(pk, chunk_size) for pk in ids})


def plan_chunks(buckets: Sequence[int], chunk_size: int) -> list[Chunk]:
    """The chunks of a plan, in plan order."""
    return [chunk_for(bucket, chunk_size) for bucket in buckets]


def node_slice(chunks: Sequence[Chunk], cluster: Cluster) -> list[Chunk]:
    """This node's chunks: every ``N``-th one, starting at position ``k - 1``."""
    return [chunk for position, chunk in enumerate(chunks) if cluster.owns(position)]
