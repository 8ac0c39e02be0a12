"""File helpers shared by the dataset loader and model persistence."""

import os
import tempfile
from pathlib import Path


def atomic_write(target, write):
    """Call ``write(binary_file)`` on a temporary file beside ``target``, then rename it.

    A crash or interrupt part-way leaves ``target`` as it was (absent or the old complete file):
    the new content only appears under the final name once it has been written completely.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp's 0600 would hide shared models
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
