"""Real small file systems for tests of full and read-only disks (mounting needs root)."""

import contextlib
import os
import subprocess

import pytest


@contextlib.contextmanager
def mounted_tmpfs(folder, options="size=64k"):
    """Mount a tmpfs with ``options`` (e.g. "size=64k" or "ro") on ``folder`` (created) for the
    block; yields False, mounting nothing, where the machine does not allow it."""
    folder.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


@contextlib.contextmanager
def tmpfs_or_skip(folder, options="size=64k"):
    """:func:`mounted_tmpfs`, skipping the test where mounting is not allowed; yields
    ``folder``."""
    with mounted_tmpfs(folder, options) as mounted:
        if not mounted:
            pytest.skip(f"cannot mount a tmpfs ({options}) here (needs root)")
        yield folder


def fill(folder, leave=0):
    """Write zeros into ``folder`` until its file system is full, then free ``leave`` bytes."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as stream:
        try:
            while True:
                stream.write(bytes(4096))
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))
