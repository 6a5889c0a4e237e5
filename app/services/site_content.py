"""Site content the platform admin edits: the user agreement, the privacy policy, the
contact page, the two introduction videos, the guide and the guide video."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.models import SiteContent

URL_MAX = 500
TITLE_MAX = 200

# key: default title (shown until the admin writes the content)
KEYS = {
    "agreement": _l("User agreement"),
    "privacy": _l("Privacy policy"),
    "contact": _l("Contact us"),
    "video_intro": _l("What is engineering capability assessment?"),
    "video_mutual": _l("International mutual recognition of engineers: CAST's exploration and practice"),
    "guide": _l("Guide to the engineering member application"),
    "guide_video": _l("Guidance videos"),
}
PUBLIC_PAGES = {"agreement", "privacy", "contact"}
FILE_KEYS = {"video_intro", "video_mutual", "guide", "guide_video"}
VIDEO_KEYS = ("video_intro", "video_mutual")


def get(key: str) -> SiteContent | None:
    return db.session.scalar(select(SiteContent).where(SiteContent.key == key))


def title_of(key: str, content: SiteContent | None = None) -> str:
    if content is not None and content.title:
        return content.title
    return str(KEYS.get(key, key))


def videos() -> list[tuple[str, SiteContent | None]]:
    """The introduction videos in page order, with their content when the admin set it."""
    return [(key, get(key)) for key in VIDEO_KEYS]


@dataclass(frozen=True)
class Media:
    """What a page needs to show a video or the guide: its title and where it is."""

    key: str
    title: str
    has_file: bool
    url: str | None

    @property
    def available(self) -> bool:
        return self.has_file or bool(self.url)


def media(key: str) -> Media:
    """The title and location of a video or the guide, without loading the file."""
    row = db.session.execute(
        select(SiteContent.title, SiteContent.url, SiteContent.file_name).where(SiteContent.key == key)
    ).first()
    if row is None:
        return Media(key=key, title=str(KEYS[key]), has_file=False, url=None)
    return Media(key=key, title=row.title or str(KEYS[key]), has_file=bool(row.file_name), url=row.url or None)


def paragraphs(text: str | None) -> list[list[str]]:
    """Plain text as paragraphs (split at blank lines) of lines, for pages that show
    the admin's text as text, never as HTML."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return [block.strip("\n").split("\n") for block in re.split(r"\n[ \t]*\n", text) if block.strip()]


# What an uploaded file may be, per key: decided by the file's first bytes, never by
# its name or the browser's claim.
FILE_KINDS = {
    "guide": ("pdf",),
    "video_intro": ("mp4", "webm"),
    "video_mutual": ("mp4", "webm"),
    "guide_video": ("mp4", "webm"),
}
CONTENT_TYPES = {"pdf": "application/pdf", "mp4": "video/mp4", "webm": "video/webm"}
_MP4_BRANDS = (b"iso", b"mp4", b"avc1", b"M4V", b"dash", b"MSNV", b"f4v")


def sniff(data: bytes) -> str | None:
    """'pdf', 'mp4' or 'webm' by the file's signature, else None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[4:8] == b"ftyp" and data[8:12].startswith(_MP4_BRANDS):
        return "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "webm"
    return None


def check_file(key: str, data: bytes, *, max_bytes: int) -> str:
    """The content type of an upload for ``key``, or raise at the upload field."""
    allowed = FILE_KINDS.get(key)
    if not allowed:
        raise DomainError(_l("This item has no file: leave the upload empty."), field="upload")
    if len(data) > max_bytes:
        raise DomainError(
            _l("The file is larger than %(size)d MB.", size=max_bytes // (1024 * 1024)), field="upload"
        )
    kind = sniff(data)
    if kind not in allowed:
        if allowed == ("pdf",):
            raise DomainError(_l("Upload the guide as a PDF file."), field="upload")
        raise DomainError(_l("Upload the video as an MP4 or WebM file."), field="upload")
    return CONTENT_TYPES[kind]


def address_problem(url: str | None):
    """None for an empty or http(s) address, else the message."""
    if not url:
        return None
    if len(url) > URL_MAX or not re.fullmatch(r"https?://[^\s<>\"']+", url):
        return _l("Enter an address that starts with https:// or http://.")
    return None
