"""照片 of 注册工程会员申请 on the applicant site (views/site/members.py's 基本情况).

An upload of exactly 413×626 px (as displayed, after the EXIF orientation) is kept at
once; one of another size is offered scaled or cut at the centre (app/services/photos.py
decides which): its preview is stored as a private file whose key the application row
keeps (``members.set_photo_offer``, under the row's lock) until 确认 makes it the photo,
or 取消 or another upload deletes it. The session holds nothing of it, so a replayed
cookie can neither leave files behind nor delete the kept photo. A refusal is
shown at the field with the photo service's message. The background warning is shown
while the photo is kept.

Private files are served only to whom ``uploads.may_read`` allows (on this site: the
applicant), with 404 for anyone else, as for a photo that does not exist.
"""

import io
import logging

from flask import abort, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.models import MemberApplication
from app.services import members, photos, uploads
from views.site import applicant_required, blueprint

logger = logging.getLogger(__name__)

def photo_step(application: MemberApplication, action: str) -> str | None:
    """Confirm or cancel the offer, then take a chosen file; the message to show at
    the photo field, or None."""
    try:
        return _photo_step(application, action)
    except members.MemberError as error:
        # The application left the editable states meanwhile (提交 in another tab).
        return str(error.message)


def _photo_step(application: MemberApplication, action: str) -> str | None:
    message = None
    if action == "confirm_photo":
        offer = members.take_photo_offer(current_user.id)
        if offer is None or not _usable(offer):
            message = _("The preview is no longer available: upload the photo again.")
        else:
            message = keep_photo(
                offer["key"],
                content_type=offer["content_type"],
                size=offer["bytes"],
                name=offer["name"],
            )
    elif action == "cancel_photo":
        drop_offer()

    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        too_large = photos.size_problem(_size_of(upload.stream))
        if too_large is not None:
            return str(too_large)  # not read: its size says enough
        message = take_upload(application, upload.read(), upload.filename)
    return message


def _size_of(stream) -> int:
    """The uploaded file's size in bytes (Werkzeug keeps it in a seekable file)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def take_upload(application: MemberApplication, data: bytes, name: str) -> str | None:
    """Judge an upload: keep it, offer a fix, or return the refusal."""
    result = photos.check_photo(data)
    logger.info(
        "member application %s photo upload by account %s: %s",
        application.id,
        current_user.id,
        result.status,
    )
    if result.status == photos.PhotoStatus.REFUSED:
        return str(result.message)
    drop_offer()
    if result.accepted:
        key = uploads.store(result.data, "photo")
        return keep_photo(
            key, content_type=result.content_type, size=len(result.data), name=name
        )

    preview = photos.make_preview(data, result.offer)
    if not preview.accepted:
        return str(preview.message)
    key = uploads.store(preview.data, "photo")
    try:
        replaced = members.set_photo_offer(
            current_user.id,
            {
                "key": key,
                "content_type": preview.content_type,
                "bytes": len(preview.data),
                "name": name,
                "message": str(result.message),
                "warning": str(preview.warning) if preview.warning else None,
            },
        )
    except members.MemberError as error:
        uploads.delete(key)
        return str(error.message)
    if replaced and uploads.is_key(replaced):
        uploads.delete(replaced)  # an earlier preview (another tab) not confirmed
    return None


def keep_photo(key: str, *, content_type: str, size: int, name: str) -> str | None:
    """Make a stored 413×626 file the application's 照片; the refusal, or None."""
    try:
        previous = members.set_photo(
            current_user.id,
            key,
            content_type=content_type,
            width=photos.WIDTH,
            height=photos.HEIGHT,
            size=size,
            name=name,
        )
    except members.MemberError as error:
        uploads.delete(key)
        return str(error.message)
    if previous and previous != key and uploads.is_key(previous):
        uploads.delete(previous)
    return None


def offer_of(application: MemberApplication) -> dict | None:
    """The scaled or cropped photo waiting for this application's 确认."""
    offer = application.photo_offer
    if not isinstance(offer, dict) or not _usable(offer):
        return None
    if offer["key"] == application.photo_key:
        return None
    return offer


def _usable(offer: dict) -> bool:
    return uploads.is_key(offer.get("key")) and uploads.exists(offer["key"])


def drop_offer() -> None:
    """No preview waits any more; its file is deleted (never the kept photo)."""
    offer = members.take_photo_offer(current_user.id)
    if offer is not None and uploads.is_key(offer.get("key")):
        uploads.delete(offer["key"])


def photo_url(application: MemberApplication) -> str | None:
    if not application.photo_key:
        return None
    stamp = (
        application.photo_uploaded_at.strftime("%Y%m%d%H%M%S%f")
        if application.photo_uploaded_at
        else ""
    )
    return url_for("site.member_photo", application_id=application.id, v=stamp)


def photo_bytes(application: MemberApplication) -> bytes | None:
    if not application.photo_key or not uploads.is_key(application.photo_key):
        return None
    try:
        return uploads.read(application.photo_key)
    except FileNotFoundError:
        logger.warning("member application %s: photo file missing", application.id)
        return None


def photo_warning(application: MemberApplication) -> str | None:
    """The background warning of the kept photo (the photo is kept all the same)."""
    data = photo_bytes(application)
    warning = photos.kept_photo_warning(data) if data is not None else None
    return str(warning) if warning else None


def _private(data: bytes, content_type: str | None):
    response = send_file(
        io.BytesIO(data), mimetype=content_type or "application/octet-stream"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.route("/member/<int:application_id>/photo")
@applicant_required
def member_photo(application_id: int):
    """The 照片 of a member application, to whom ``uploads.may_read`` allows (on this
    site: its applicant); 404 for anyone else, as for a photo that does not exist."""
    application = db.session.get(MemberApplication, application_id)
    if application is None or not uploads.may_read(
        account_id=current_user.id,
        identity_kind=None,
        identity_society_id=None,
        owner_account_id=application.applicant_id,
        society_id=application.society_id,
    ):
        abort(404)
    data = photo_bytes(application)
    if data is None:
        abort(404)
    return _private(data, application.photo_content_type)


@blueprint.route("/member/photo/preview")
@applicant_required
def member_photo_preview():
    """The scaled or cropped photo waiting for 确认, to its applicant only."""
    application = members.open_for(current_user.id)
    offer = offer_of(application) if application is not None else None
    if offer is None:
        abort(404)
    return _private(uploads.read(offer["key"]), offer["content_type"])
