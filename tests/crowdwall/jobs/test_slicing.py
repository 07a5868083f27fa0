"""``crowdwall.jobs.slicing``: chunks cover every id once; cluster slices are disjoint, cover the
plan and stay balanced, whatever N, k and the id distribution."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.jobs.slicing import (
    Chunk,
    Cluster,
    node_slice,
    plan_buckets,
    plan_chunks,
)

ids_strategy = st.one_of(
    st.sets(st.integers(min_value=1, max_value=10_000), max_size=300),  # sparse
    st.builds(  # dense: one contiguous range, as auto-increment ids mostly are
        lambda lo, n: set(range(lo, lo + n)),
        st.integers(min_value=1, max_value=1_000_000),
        st.integers(min_value=0, max_value=400),
    ),
)


@given(
    ids=ids_strategy,
    chunk_size=st.integers(min_value=1, max_value=64),
    n=st.integers(min_value=1, max_value=12),
)
def test_slices_are_disjoint_cover_every_id_once_and_are_balanced(ids, chunk_size, n):
    chunks = plan_chunks(plan_buckets(ids, chunk_size), chunk_size)
    slices = [node_slice(chunks, Cluster(k, n)) for k in range(1, n + 1)]

    owners: dict[Chunk, int] = {}
    for k, mine in enumerate(slices, 1):
        for chunk in mine:
            assert chunk not in owners, f"{chunk} in slices {owners[chunk]} and {k}"
            owners[chunk] = k
    assert set(owners) == set(chunks)  # the slices cover the plan
    sizes = [len(mine) for mine in slices]
    assert max(sizes) - min(sizes) <= 1  # balanced by chunk count

    for pk in ids:  # every id lies in exactly one chunk, of exactly one node
        holders = [k for k, mine in enumerate(slices, 1) for c in mine if c.start <= pk < c.end]
        assert len(holders) == 1
    for chunk in chunks:  # aligned, non-overlapping, and no empty chunk is planned
        assert chunk.start % chunk_size == 0 and chunk.end - chunk.start == chunk_size
        assert any(chunk.start <= pk < chunk.end for pk in ids)
    assert chunks == sorted(chunks)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


@given(
    ids=ids_strategy,
    more=st.sets(st.integers(min_value=1, max_value=2_000_000), max_size=50),
    chunk_size=st.integers(min_value=1, max_value=64),
)
def test_a_chunk_is_the_same_range_however_the_table_grew(ids, more, chunk_size):
    """Aligned chunks: a plan made later (more rows) contains every chunk of an earlier plan,
    so done markers keep their meaning."""
    before = set(plan_chunks(plan_buckets(ids, chunk_size), chunk_size))
    after = set(plan_chunks(plan_buckets(ids | more, chunk_size), chunk_size))
    assert before <= after


def test_chunk_i_goes_to_node_i_mod_n():
    chunks = plan_chunks(list(range(10)), 5)
    assert [c.start for c in node_slice(chunks, Cluster(1, 3))] == [0, 15, 30, 45]
    assert [c.start for c in node_slice(chunks, Cluster(2, 3))] == [5, 20, 35]
    assert [c.start for c in node_slice(chunks, Cluster(3, 3))] == [10, 25, 40]
    assert str(chunks[1]) == "[5, 10)"


@pytest.mark.parametrize(
    ("text", "cluster"),
    [("1/1", Cluster(1, 1)), ("3/10", Cluster(3, 10)), (" 2 / 2 ", Cluster(2, 2))],
)
def test_parse_cluster(text, cluster):
    assert Cluster.parse(text) == cluster
    assert str(cluster) == f"{cluster.k}/{cluster.n}"


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "-1/2", "1/2/3", ""])
def test_parse_cluster_rejects_nonsense(text):
    with pytest.raises(ValueError):
        Cluster.parse(text)


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError):
        plan_buckets([1, 2], 0)
