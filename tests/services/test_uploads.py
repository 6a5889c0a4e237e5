"""Private file storage of app/services/uploads.py: random sharded names, atomic writes,
keys that cannot leave UPLOAD_DIR, and who may read a file."""

import datetime as dt
import os
import stat
import threading
import time

import pytest

from app import create_app
from app.models import IdentityKind
from app.services import uploads


@pytest.fixture
def app(tmp_path):
    app = create_app(
        "test",
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        },
    )
    with app.app_context():
        yield app


def _files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_upload_dir_defaults_to_the_instance_folder():
    from config import INSTANCE_DIR, Config

    assert Config.UPLOAD_DIR == os.environ.get(
        "UPLOAD_DIR", str(INSTANCE_DIR / "uploads")
    )


def test_store_then_read_returns_the_bytes_under_a_random_sharded_name(app, tmp_path):
    key = uploads.store(b"photo bytes", "photo")
    kind, shard, token = key.split("/")

    assert uploads.read(key) == b"photo bytes"
    assert (kind, shard, len(token)) == ("photo", token[:2], 32)
    assert uploads.KEY_RE.fullmatch(key)
    assert _files(tmp_path / "uploads") == [tmp_path / "uploads" / key]


def test_store_creates_private_file_and_folders(app, tmp_path):
    key = uploads.store(b"x", "photo")
    path = tmp_path / "uploads" / key

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700


def test_open_gives_a_binary_file(app):
    key = uploads.store(b"\x89PNG data", "photo")

    with uploads.open(key) as file:
        assert file.read() == b"\x89PNG data"


def test_same_bytes_stored_twice_get_two_files(app):
    first = uploads.store(b"same", "photo")
    second = uploads.store(b"same", "photo")

    assert first != second
    assert uploads.read(first) == uploads.read(second) == b"same"


def test_two_applicants_uploading_zhengjianzhao_jpg_in_the_same_second_keep_their_own(
    app, tmp_path
):
    # Both browsers call the file 证件照.jpg; the name is metadata of the caller's row,
    # never a path, so the two writes cannot meet.
    uploads_by_applicant = {
        1: b"applicant one's photo" * 100,
        2: b"applicant two's photo" * 100,
    }
    keys: dict[int, str] = {}
    start = threading.Barrier(len(uploads_by_applicant))
    flask_app = app

    def upload(applicant: int) -> None:
        with flask_app.app_context():
            start.wait()
            keys[applicant] = uploads.store(uploads_by_applicant[applicant], "photo")

    threads = [
        threading.Thread(target=upload, args=(applicant,))
        for applicant in uploads_by_applicant
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert keys[1] != keys[2]
    assert {
        applicant: uploads.read(key) for applicant, key in keys.items()
    } == uploads_by_applicant
    assert len(_files(tmp_path / "uploads")) == 2
    assert all("证件照" not in str(path) for path in _files(tmp_path / "uploads"))


def test_many_concurrent_stores_each_keep_their_bytes(app, tmp_path):
    results: dict[int, str] = {}
    start = threading.Barrier(16)

    def upload(number: int) -> None:
        with app.app_context():
            start.wait()
            results[number] = uploads.store(f"file {number}".encode() * 1000, "photo")

    threads = [threading.Thread(target=upload, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results.values())) == 16
    assert all(
        uploads.read(key) == f"file {number}".encode() * 1000
        for number, key in results.items()
    )
    assert not [
        path for path in _files(tmp_path / "uploads") if path.name.startswith(".tmp-")
    ]


def test_failed_write_leaves_no_file(app, tmp_path, monkeypatch):
    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(uploads.os, "replace", failing_replace)

    with pytest.raises(OSError, match="disk full"):
        uploads.store(b"half", "photo")

    assert _files(tmp_path / "uploads") == []


def test_delete_removes_the_file_once(app):
    key = uploads.store(b"x", "photo")

    assert uploads.delete(key) is True
    assert uploads.delete(key) is False
    assert uploads.exists(key) is False
    with pytest.raises(FileNotFoundError):
        uploads.open(key)


def test_missing_file_of_a_valid_key_is_not_found(app):
    with pytest.raises(FileNotFoundError):
        uploads.read("photo/ab/" + "ab" + "0" * 30)


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/etc/passwd",
        "photo/../../etc/passwd",
        "photo/ab/../../../../etc/passwd",
        "photo/ab/ab" + "0" * 29 + "/",
        "photo/ab/ab" + "0" * 30 + "/..",
        "photo/ab/cd" + "0" * 30,
        "photo/AB/AB" + "0" * 30,
        "photo/ab/ab" + "0" * 29,
        "photo\\ab\\ab" + "0" * 30,
        "Photo/ab/ab" + "0" * 30,
        "photo/ab/ab" + "0" * 30 + "\x00",
        "photo/ab/ab" + "0" * 30 + "\n",
        "",
    ],
    ids=[
        "parent",
        "absolute",
        "kind-parent",
        "shard-parent",
        "trailing-slash",
        "dot-dot-after",
        "shard-mismatch",
        "upper-case",
        "short-token",
        "backslashes",
        "upper-kind",
        "nul",
        "newline",
        "empty",
    ],
)
def test_malformed_key_is_refused_before_any_path_is_built(app, key):
    with pytest.raises(ValueError, match="invalid upload key"):
        uploads.open(key)
    with pytest.raises(ValueError, match="invalid upload key"):
        uploads.delete(key)
    assert uploads.is_key(key) is False


@pytest.mark.parametrize(
    "kind",
    ["", "../x", "Photo", "photo/x", "1photo", "p" * 33],
    ids=["empty", "parent", "upper", "slash", "digit", "long"],
)
def test_store_refuses_a_malformed_kind(app, kind):
    with pytest.raises(ValueError, match="invalid upload kind"):
        uploads.store(b"x", kind)


def test_key_through_a_symlink_out_of_the_folder_is_refused(app, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "uploads").mkdir(exist_ok=True)
    (tmp_path / "uploads" / "photo").symlink_to(outside)

    with pytest.raises(ValueError, match="invalid upload key"):
        uploads.open("photo/ab/ab" + "0" * 30)


OWNER, SOCIETY, OTHER_SOCIETY = 10, 3, 4


@pytest.mark.parametrize(
    ("account_id", "kind", "society_id", "allowed"),
    [
        (OWNER, None, None, True),
        (11, None, None, False),
        (None, None, None, False),
        (12, IdentityKind.PLATFORM_ADMIN, None, True),
        (13, IdentityKind.SOCIETY_ADMIN, SOCIETY, True),
        (13, IdentityKind.SOCIETY_ADMIN, OTHER_SOCIETY, False),
        (14, IdentityKind.SOCIETY_CONTACT, SOCIETY, False),
        (15, IdentityKind.ENTERPRISE_CONTACT, None, False),
    ],
    ids=[
        "applicant",
        "other-applicant",
        "anonymous",
        "platform-admin",
        "society-admin",
        "other-society-admin",
        "society-contact",
        "enterprise-contact",
    ],
)
def test_may_read_by_viewer(account_id, kind, society_id, allowed):
    result = uploads.may_read(
        account_id=account_id,
        identity_kind=kind,
        identity_society_id=society_id,
        owner_account_id=OWNER,
        society_id=SOCIETY,
    )

    assert result is allowed


def test_may_read_without_a_society_allows_no_society_admin():
    assert not uploads.may_read(
        account_id=13,
        identity_kind="society_admin",
        identity_society_id=None,
        owner_account_id=OWNER,
        society_id=None,
    )


# --- sweep: files no row names ------------------------------------------------------


def _age(root, key: str, hours: float) -> None:
    """Make the file of ``key`` look written ``hours`` ago."""
    then = time.time() - hours * 3600
    os.utime(root / key, (then, then))


def test_sweep_removes_only_old_unnamed_files(app, tmp_path):
    root = tmp_path / "uploads"
    named_old = uploads.store(b"kept photo", "photo")
    unnamed_old = uploads.store(b"abandoned preview", "photo")
    unnamed_new = uploads.store(b"preview waiting for confirm", "photo")
    other_kind = uploads.store(b"another kind", "other")
    for key in (named_old, unnamed_old, other_kind):
        _age(root, key, 25)
    _age(root, unnamed_new, 23)
    leftover = root / unnamed_old.rsplit("/", 1)[0] / ".tmp-cut-short"
    leftover.write_bytes(b"half")
    stranger = root / named_old.rsplit("/", 1)[0] / "README"
    stranger.write_bytes(b"not ours")
    for path in (leftover, stranger):
        os.utime(path, (time.time() - 90_000, time.time() - 90_000))

    result = uploads.sweep("photo", {named_old}, dt.timedelta(hours=24))

    assert result == uploads.SweepResult(seen=3, kept=2, removed=1)
    assert uploads.exists(named_old) and uploads.exists(unnamed_new)
    assert not uploads.exists(unnamed_old)
    assert uploads.exists(other_kind)  # another kind is not looked at
    assert not leftover.exists()  # an unfinished write as old goes too
    assert stranger.exists()  # a file that is not a stored key is left alone


def test_sweep_of_an_empty_store_and_a_bad_kind(app):
    assert uploads.sweep("photo", set(), dt.timedelta(hours=1)) == uploads.SweepResult(
        0, 0, 0
    )
    with pytest.raises(ValueError):
        uploads.sweep("../photo", set(), dt.timedelta(hours=1))


def test_sweep_never_follows_a_link_out_of_the_store(app, tmp_path):
    """A shard folder or a file that is a symbolic link is left alone, and so is what
    it leads to."""
    root = tmp_path / "uploads"
    uploads.store(b"x", "photo")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / ("ab" + "0" * 30)
    victim.write_bytes(b"not ours")
    os.utime(victim, (time.time() - 90_000, time.time() - 90_000))
    (root / "photo" / "ab").symlink_to(outside, target_is_directory=True)
    linked = root / "photo" / "cd"
    linked.mkdir()
    (linked / ("cd" + "1" * 30)).symlink_to(victim)

    result = uploads.sweep("photo", set(), dt.timedelta(hours=1))

    assert victim.exists()
    assert result.removed == 0
