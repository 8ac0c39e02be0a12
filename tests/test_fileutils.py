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
