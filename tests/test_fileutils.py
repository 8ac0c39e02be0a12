"""Atomic writes: a killed writer never leaves a broken target, and its leftover is cleaned."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from skfmnist._fileutils import atomic_write

WRITER = """
    import sys, time
    from skfmnist._fileutils import atomic_write

    def write(stream):
        stream.write(b"x" * 100_000)
        stream.flush()
        print("writing", flush=True)
        time.sleep(60)

    atomic_write(sys.argv[1], write)
"""


def _start_writer(target):
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(target)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    return writer


def test_a_writer_killed_mid_write_leaves_the_old_file_and_its_leftover_is_removed(tmp_path):
    target = tmp_path / "model.skfmnist"
    target.write_bytes(b"old")
    writer = _start_writer(target)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    leftovers = list(tmp_path.glob(".model.skfmnist.*.part"))
    assert len(leftovers) == 1 and target.read_bytes() == b"old"
    atomic_write(target, lambda stream: stream.write(b"new"))
    assert target.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [target]


def test_a_running_writers_file_is_left_alone(tmp_path):
    target = tmp_path / "data.npy"
    writer = _start_writer(target)
    try:
        atomic_write(target, lambda stream: stream.write(b"mine"))
        assert len(list(tmp_path.glob(".data.npy.*.part"))) == 1  # still being written
    finally:
        writer.kill()
        writer.wait()


def test_a_full_disk_raises_and_leaves_nothing_behind(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "model.skfmnist"
    target.write_bytes(b"old")

    def fill_the_disk(stream):
        stream.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, fill_the_disk)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_writing_never_changes_the_process_umask(tmp_path):
    """Another thread creating a file at any moment of a write gets the usual mode: here a file
    is created after every call the write makes."""
    import stat

    created = []

    def create_a_file(frame, event, arg):
        if event == "c_return":
            probe = tmp_path / "probes" / str(len(created))
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT, 0o666))
            created.append(stat.S_IMODE(os.stat(probe).st_mode))

    (tmp_path / "probes").mkdir()
    old_mask = os.umask(0o022)
    sys.setprofile(create_a_file)
    try:
        atomic_write(tmp_path / "model.skfmnist", lambda stream: stream.write(b"new"))
    finally:
        sys.setprofile(None)
        os.umask(old_mask)
    assert created and set(created) == {0o644}
    assert stat.S_IMODE((tmp_path / "model.skfmnist").stat().st_mode) == 0o644


def _symlink(path):
    (path.parent / "elsewhere").write_bytes(b"precious")
    path.symlink_to(path.parent / "elsewhere")


@pytest.mark.parametrize("make, kind", [
    (_symlink, "a symbolic link"),
    (os.mkfifo, "a FIFO"),
    (os.mkdir, "a folder"),
], ids=["symlink", "fifo", "folder"])
def test_only_regular_files_are_written_or_replaced(tmp_path, make, kind):
    target = tmp_path / "model.skfmnist"
    make(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(FileExistsError, match=f"{target} is {kind}, not a regular file.*Name a"):
        atomic_write(target, lambda stream: stream.write(b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not target.is_symlink() or (tmp_path / "elsewhere").read_bytes() == b"precious"
