"""File helpers shared by the dataset loader, model persistence, export and checkpoints."""

import os
import secrets
import stat
from collections import Counter
from pathlib import Path


def atomic_write(target, write):
    """Call ``write(binary_file)`` on a temporary file beside ``target``, then rename it.

    A crash or interrupt part-way leaves ``target`` as it was (absent or the old complete file):
    the new content only appears under the final name once it has been written completely. The
    temporary name carries the writer's process id, so that the leftover of a writer that was
    killed is removed by the next write of the same target. Only regular files are written: an
    existing symbolic link, folder, FIFO or device under ``target`` is refused (see
    :func:`check_regular_target`), never replaced.
    """
    target = Path(target)
    check_regular_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    fd, tmp = _create_sibling(target)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_regular_target(target):
    """Raise ``FileExistsError`` if ``target`` exists and is not a regular file.

    Renaming a new file over a symbolic link, a FIFO or a device node replaces that entry (as
    root, ``/dev/null`` or ``/dev/stdout``), so such targets are refused, naming the fix.
    """
    try:
        mode = os.lstat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):  # nothing there to replace
        return
    if stat.S_ISREG(mode):
        return
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device")
    raise FileExistsError(
        f"{target} is {kind}, not a regular file: skfmnist writes only regular files and "
        "does not replace it. Name a new file or an existing regular one instead (for a "
        "symbolic link, the file it points to)."
    )


def _create_sibling(target):
    """``(fd, path)`` of a new empty file ``.<name>.<pid>.<random>.part`` beside ``target``.

    Created with mode 0666 so the process umask applies as for any new file, without reading
    or changing the umask (a process-wide setting that other threads rely on).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}.part"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # 48 random bits taken: draw again
            continue


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


class ZipLimitError(ValueError):
    """A zip archive exceeds what a model file may hold; the message says which limit."""


#: Bounds on what one zip archive inside a model file may expand to, checked from the central
#: directory before anything is inflated. A level's budget is 16x its compressed size (at least
#: 64 MiB): model weights barely compress (~1.1x), while a zip bomb inflates 1000x.
MAX_MEMBERS = 256
MIN_BUDGET = 64 << 20
BUDGET_RATIO = 16


def zip_budget(compressed_size):
    """The most bytes an archive of ``compressed_size`` bytes may inflate to."""
    return max(MIN_BUDGET, BUDGET_RATIO * compressed_size)


def check_zip_limits(archive, compressed_size, what):
    """Raise :class:`ZipLimitError` if ``archive`` (a ``zipfile.ZipFile``) has too many members,
    repeats a member name, or declares more inflated bytes than its budget; return the budget.

    A repeated name is refused because readers disagree on which copy counts: zipfile returns
    the last one, zip tools list and extract the first.
    """
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ZipLimitError(f"{what} has {len(members)} entries (at most {MAX_MEMBERS}).")
    repeated = sorted(name for name, count in Counter(m.filename for m in members).items()
                      if count > 1)
    if repeated:
        raise ZipLimitError(f"{what} holds more than one member named {repeated[0][:100]!r} "
                            "(readers disagree on which one counts).")
    budget = zip_budget(compressed_size)
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
