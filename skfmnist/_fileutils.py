"""File helpers shared by the dataset loader and model persistence."""

import os
import tempfile
from pathlib import Path


def atomic_write(target, write):
    """Call ``write(binary_file)`` on a temporary file beside ``target``, then rename it.

    A crash or interrupt part-way leaves ``target`` as it was (absent or the old complete file):
    the new content only appears under the final name once it has been written completely. The
    temporary name carries the writer's process id, so that the leftover of a writer that was
    killed is removed by the next write of the same target.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.",
                               suffix=".part")
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


def _remove_leftovers(target):
    """Delete ``.<name>.<pid>.*.part`` files beside ``target`` whose writer no longer runs."""
    for leftover in target.parent.glob(f".{target.name}.*.part"):
        pid = leftover.name[len(target.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


class ZipLimitError(ValueError):
    """A zip archive exceeds what a model file may hold; the message says which limit."""


#: Bounds on what one zip archive inside a model file may expand to, checked from the central
#: directory before anything is inflated. A level's budget is 16x its compressed size (at least
#: 64 MiB): model weights barely compress (~1.1x), while a zip bomb inflates 1000x.
MAX_MEMBERS = 256
MIN_BUDGET = 64 << 20
BUDGET_RATIO = 16


def check_zip_limits(archive, compressed_size, what):
    """Raise :class:`ZipLimitError` if ``archive`` (a ``zipfile.ZipFile``) has too many members,
    or declares more inflated bytes than its budget, or a nested folder name."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ZipLimitError(f"{what} has {len(members)} entries (at most {MAX_MEMBERS}).")
    budget = max(MIN_BUDGET, BUDGET_RATIO * compressed_size)
    declared = sum(member.file_size for member in members)
    if declared > budget:
        raise ZipLimitError(
            f"{what} would inflate to {declared:,} bytes, more than the {budget:,} allowed for "
            f"{compressed_size:,} compressed bytes (a zip bomb, or not a model file)."
        )
    return budget


def read_member(archive, name, limit, what):
    """The bytes of member ``name``, reading at most ``limit`` (zipfile stops at the declared
    size and checks the CRC, so a member cannot inflate past what the directory says)."""
    with archive.open(name) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ZipLimitError(f"{what}: {name} is larger than {limit:,} bytes.")
    return data
