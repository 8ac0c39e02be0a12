"""A real, tiny file system to fill up: a 64 KiB tmpfs (needs root and mount)."""

import contextlib
import os
import subprocess


@contextlib.contextmanager
def mounted_tmpfs(folder, size="64k"):
    """Mount a tmpfs of ``size`` on ``folder`` (created) for the block; yields False, mounting
    nothing, where the machine does not allow it."""
    folder.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


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
