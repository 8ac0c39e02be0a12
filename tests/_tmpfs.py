"""Real small file systems for tests of full and read-only disks (mounting needs root)."""

import contextlib
import subprocess

import pytest


@contextlib.contextmanager
def mounted_tmpfs(folder, options):
    """Mount a tmpfs with ``options`` (e.g. "size=64k" or "ro") on the empty ``folder``, or skip
    the test where mounting is not allowed."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({options}) here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
