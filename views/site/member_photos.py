"""照片 of 注册工程会员申请 on the applicant site (views/site/members.py's 基本情况).

An upload of exactly 413×626 px (as displayed, after the EXIF orientation) is kept at
once; one of another size is offered scaled or cut at the centre (app/services/photos.py
decides which): its preview is stored as a private file whose key the session keeps
until 确认 makes it the photo, or 取消 or another upload deletes it. A refusal is
shown at the field with the photo service's message. The background warning is shown
while the photo is kept.

Private files are served only to whom ``uploads.may_read`` allows (on this site: the
applicant), with 404 for anyone else, as for a photo that does not exist.
"""

import io
import logging

from flask import abort, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.models import MemberApplication
from app.services import members, photos, uploads
from views.site import applicant_required, blueprint

logger = logging.getLogger(__name__)

PHOTO_OFFER = "member_photo_offer"  # the session's pending scaled or cropped photo
# A request carrying a photo may hold the photo (2 MB) and the form around it; a larger
# one is refused before it is read.
UPLOAD_REQUEST_MAX = 3 * photos.MAX_BYTES


def photo_step(application: MemberApplication, action: str) -> str | None:
    """Confirm or cancel the offer, then take a chosen file; the message to show at
    the photo field, or None."""
    message = None
    if action == "confirm_photo":
        offer = offer_of(application)
        if offer is None:
            message = _("The preview is no longer available: upload the photo again.")
        else:
            session.pop(PHOTO_OFFER, None)
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
        message = take_upload(application, upload.read(), upload.filename)
    return message


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
    session[PHOTO_OFFER] = {
        "account_id": current_user.id,
        "application_id": application.id,
        "key": uploads.store(preview.data, "photo"),
        "content_type": preview.content_type,
        "bytes": len(preview.data),
        "name": name[:255],
        "message": str(result.message),
        "warning": str(preview.warning) if preview.warning else None,
    }
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
    """The pending scaled or cropped photo of this applicant's application."""
    offer = session.get(PHOTO_OFFER)
    if (
        not isinstance(offer, dict)
        or offer.get("account_id") != current_user.id
        or offer.get("application_id") != application.id
        or not uploads.is_key(offer.get("key"))
        or not uploads.exists(offer["key"])
    ):
        return None
    return offer


def drop_offer() -> None:
    """Forget the pending photo and delete its file."""
    offer = session.pop(PHOTO_OFFER, None)
    if isinstance(offer, dict) and uploads.is_key(offer.get("key")):
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
    """The pending scaled or cropped photo, to the applicant whose session holds it."""
    application = members.open_for(current_user.id)
    offer = offer_of(application) if application is not None else None
    if offer is None:
        abort(404)
    return _private(uploads.read(offer["key"]), offer["content_type"])
