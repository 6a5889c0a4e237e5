"""Private files of the applicants (the 照片 first): stored under ``UPLOAD_DIR``, never
served as static files.

A stored file is named by a random token, never by what the applicant called it: the
key ``photo/3f/3f9c…`` (kind, a shard of the token's first two hex digits, 128 random
bits as 32 hex digits) is the only name the file has. The caller keeps the key, the
original file name and the content type in its own row, as metadata. Two uploads named
证件照.jpg in the same second get two tokens and two files.

Writes are atomic: the bytes go to a temporary file in the shard's folder, are flushed
to disk, then ``os.replace`` gives the file its name, so a reader sees the whole file or
none. Keys are checked by a regular expression before any path is built, so no key can
reach outside ``UPLOAD_DIR``. Files are created 0600 in folders 0700.

Who may read a file is decided by the view that serves it, with ``may_read``; the view
sends the bytes itself (no public URL).

Files that no row names any more (a scale or crop preview the applicant never confirmed,
a write cut short) are removed by ``sweep`` once they are old enough that no request can
still be about to name them (``flask uploads sweep``, run daily by the operator).
"""

import builtins
import datetime as dt
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from app.models import IdentityKind

logger = logging.getLogger(__name__)

KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
KEY_RE = re.compile(
    r"(?P<kind>[a-z][a-z0-9_]{0,31})/(?P<shard>[0-9a-f]{2})/(?P<token>(?P=shard)[0-9a-f]{30})"
)


def upload_dir() -> Path:
    """The root of the private files (config ``UPLOAD_DIR``)."""
    return Path(current_app.config["UPLOAD_DIR"])


def store(data: bytes, kind: str) -> str:
    """Write ``data`` as a new private file of ``kind`` (e.g. 'photo') and return its key."""
    if not KIND_RE.fullmatch(kind):
        raise ValueError(f"invalid upload kind {kind!r}")
    root = upload_dir()

    while True:
        token = secrets.token_hex(16)
        key = f"{kind}/{token[:2]}/{token}"
        path = _path(key, root)
        if not path.exists():
            break
    for folder in (root, root / kind, path.parent):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        _unlink_quietly(temporary)
        raise
    _fsync_dir(path.parent)

    logger.info("upload %s stored (%d bytes)", key, len(data))
    return key


def open(key: str) -> BinaryIO:  # the storage's verb: called as uploads.open(key)
    """The stored file for reading; FileNotFoundError when there is none."""
    return builtins.open(_path(key, upload_dir()), "rb")


def read(key: str) -> bytes:
    """The stored file's bytes; FileNotFoundError when there is none."""
    with open(key) as file:
        return file.read()


def exists(key: str) -> bool:
    return _path(key, upload_dir()).is_file()


def delete(key: str) -> bool:
    """Remove the stored file; False when there was none."""
    path = _path(key, upload_dir())
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    logger.info("upload %s deleted", key)
    return True


@dataclass(frozen=True)
class SweepResult:
    """What ``sweep`` found: files of the kind, the ones kept, the ones removed."""

    seen: int
    kept: int
    removed: int


def sweep(
    kind: str, referenced: Collection[str], older_than: dt.timedelta
) -> SweepResult:
    """Remove the files of ``kind`` that no key in ``referenced`` names and that were
    written more than ``older_than`` ago (and unfinished ``.tmp-`` writes as old).

    A younger file is kept even when unnamed: a photo is written a moment before its
    row names it. A preview waiting for 确认 is not among ``referenced``: one left a day
    is swept, and its application is told to upload again."""
    if not KIND_RE.fullmatch(kind):
        raise ValueError(f"invalid upload kind {kind!r}")
    folder = upload_dir() / kind
    cutoff = time.time() - older_than.total_seconds()
    names = set(referenced)
    seen = kept = removed = 0
    if not folder.is_dir() or folder.is_symlink():
        return SweepResult(0, 0, 0)
    for shard in sorted(folder.iterdir()):
        # Only real folders and files: a link may lead out of UPLOAD_DIR.
        if shard.is_symlink() or not shard.is_dir():
            continue
        for path in sorted(shard.iterdir()):
            if path.is_symlink() or not path.is_file():
                continue
            key = f"{kind}/{shard.name}/{path.name}"
            is_file_of_key = is_key(key)
            if is_file_of_key:
                seen += 1
            try:
                written = path.stat().st_mtime
            except FileNotFoundError:  # deleted by a request meanwhile
                continue
            if (is_file_of_key and key in names) or written > cutoff:
                kept += is_file_of_key
                continue
            if not is_file_of_key and not path.name.startswith(".tmp-"):
                continue  # not ours: left alone
            _unlink_quietly(str(path))
            removed += is_file_of_key
    logger.info(
        "uploads sweep of %s: %d files, %d kept, %d unnamed removed",
        kind,
        seen,
        kept,
        removed,
    )
    return SweepResult(seen=seen, kept=kept, removed=removed)


def is_key(value: str) -> bool:
    """True for a well-formed key (kind/shard/token), whether or not the file exists."""
    return isinstance(value, str) and KEY_RE.fullmatch(value) is not None


def may_read(
    *,
    account_id: int | None,
    identity_kind: str | None,
    identity_society_id: int | None,
    owner_account_id: int,
    society_id: int | None,
) -> bool:
    """Whether a viewer may read an applicant's private file: the applicant (their own
    account), the platform admin, or a 学会-超级管理员 of the society the application is
    made to. Society and enterprise channel contacts may not. Pure: the caller passes
    the logged-in account and the active identity (None on the applicant site)."""
    if account_id is not None and account_id == owner_account_id:
        return True
    if identity_kind == IdentityKind.PLATFORM_ADMIN:
        return True
    return (
        identity_kind == IdentityKind.SOCIETY_ADMIN
        and society_id is not None
        and identity_society_id == society_id
    )


def _path(key: str, root: Path) -> Path:
    """The file of a key, after checking the key's form and that it stays in ``root``."""
    if not is_key(key):
        raise ValueError("invalid upload key")
    path = root / key
    if root.resolve() not in path.resolve().parents:
        raise ValueError("invalid upload key")
    return path


def _fsync_dir(folder: Path) -> None:
    """Make the new name durable as well as the bytes (ignored where not supported)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
