"""Replay files come from the bundled samples or CROWDWALL["REPLAY_DIRS"] only: ``..`` and
symlinks out of those directories, other files and missing files are refused alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdwall.sources.replay_files import BUNDLED_DIR, DEFAULT_PATH, resolve_replay_path


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """An allowed directory with a file, a subdirectory and two symlinks; a secret outside."""
    allowed, outside = tmp_path / "replays", tmp_path / "private"
    (allowed / "sub").mkdir(parents=True)
    outside.mkdir()
    (allowed / "posts.jsonl").write_text("{}\n")
    (allowed / "sub" / "more.jsonl").write_text("{}\n")
    (outside / "secret.txt").write_text("secret\n")
    (allowed / "escape.jsonl").symlink_to(outside / "secret.txt")
    (allowed / "inside.jsonl").symlink_to(allowed / "posts.jsonl")
    return {"allowed": allowed, "outside": outside}


def test_the_bundled_samples_are_always_allowed():
    assert resolve_replay_path(str(DEFAULT_PATH), []) == DEFAULT_PATH.resolve()
    assert resolve_replay_path("replay.jsonl", []) == DEFAULT_PATH.resolve()
    assert DEFAULT_PATH.parent == BUNDLED_DIR


def test_files_in_a_configured_directory_are_allowed(tree):
    allowed = tree["allowed"]
    dirs = [str(allowed)]
    assert resolve_replay_path(str(allowed / "posts.jsonl"), dirs) == allowed / "posts.jsonl"
    assert resolve_replay_path("sub/more.jsonl", dirs) == allowed / "sub" / "more.jsonl"
    assert resolve_replay_path("inside.jsonl", dirs) == allowed / "posts.jsonl"
    assert resolve_replay_path(f"{allowed}/sub/../posts.jsonl", dirs) == allowed / "posts.jsonl"


@pytest.mark.parametrize(
    "path",
    [
        "{outside}/secret.txt",  # exists, outside
        "{allowed}/../private/secret.txt",  # a .. escape to a file that exists
        "../private/secret.txt",  # the same, relative
        "escape.jsonl",  # a symlink out of the directory
        "{allowed}/escape.jsonl",
        "/etc/passwd",
        "/etc",
        "{allowed}/sub",  # a directory, not a file
        "{allowed}/missing.jsonl",
        "/no/such/file.jsonl",
        "",
        "posts.jsonl\x00.txt",
    ],
)
def test_anything_else_is_refused(tree, path):
    path = path.format(**{name: str(folder) for name, folder in tree.items()})
    assert resolve_replay_path(path, [str(tree["allowed"])]) is None


def test_without_configured_directories_only_the_samples_are_allowed(tree):
    assert resolve_replay_path(str(tree["allowed"] / "posts.jsonl"), []) is None


def test_the_stream_checks_the_path_again_when_it_starts(tree, settings):
    """A file swapped for a symlink out of the directory after the source was saved."""
    from crowdwall.exceptions import SourceError
    from crowdwall.models import Source, Wall
    from crowdwall.sources import adapter_for

    settings.CROWDWALL = {"REPLAY_DIRS": [str(tree["allowed"])]}
    path = tree["allowed"] / "posts.jsonl"
    source = Source(wall=Wall(slug="w"), name="r", kind="replay", config={"path": str(path)})
    assert adapter_for(source).path == path
    path.unlink()
    path.symlink_to(tree["outside"] / "secret.txt")
    with pytest.raises(SourceError, match="bundled samples"):
        adapter_for(source)
