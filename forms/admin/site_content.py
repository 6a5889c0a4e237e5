"""The platform admin's form for site content: a fixed key, title, text, address, file."""

import os
import unicodedata

from flask import current_app
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from app.errors import DomainError
from app.extensions import db
from app.models import SiteContent
from app.services import site_content
from app.validation import normalize_text


def _strip(value):
    return normalize_text(value) if isinstance(value, str) else value


def _clean_file_name(name: str) -> str:
    """The uploaded file's own name without folders or control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name[:200] or "file"


class SiteContentEditForm(DynamicForm):
    """编辑: title, text, address and file of one item (its key stays)."""

    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[Length(max=site_content.TITLE_MAX)],
        description=_l("Leave empty to use the default title."),
        render_kw={"maxlength": site_content.TITLE_MAX},
    )
    body = TextAreaField(
        _l("Text"),
        filters=[_strip],
        description=_l("Shown as plain text; a blank line starts a new paragraph."),
        render_kw={"rows": 12},
    )
    url = StringField(
        _l("Address"),
        filters=[_strip],
        description=_l(
            "For a video or the guide kept elsewhere: an address starting with https://."
        ),
        render_kw={"maxlength": site_content.URL_MAX},
    )
    upload = FileField(
        _l("File"),
        description=_l("The guide as PDF, a video as MP4 or WebM; at most 100 MB."),
    )
    remove_file = BooleanField(_l("Remove the current file"))

    _upload: tuple[str, str, bytes] | None = None

    def _content_key(self) -> str | None:
        # FAB sets _id on the edit form before validating it
        row = (
            db.session.get(SiteContent, getattr(self, "_id", None))
            if getattr(self, "_id", None)
            else None
        )
        return row.key if row is not None else None

    def validate_url(self, field):
        problem = site_content.address_problem(field.data)
        if problem is not None:
            raise ValidationError(str(problem))

    def validate_upload(self, field):
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            return
        limit = current_app.config["SITE_FILE_MAX_BYTES"]
        data = storage.stream.read(limit + 1)
        try:
            content_type = site_content.check_file(
                self._content_key(), data, max_bytes=limit
            )
        except DomainError as error:
            raise ValidationError(str(error.message)) from None
        self._upload = (_clean_file_name(storage.filename), content_type, data)

    def populate_obj(self, obj):
        obj.title = self.title.data or ""
        obj.body = self.body.data or None
        obj.url = self.url.data or None
        if self._upload is not None:
            obj.file_name, obj.content_type, obj.file_data = self._upload
        elif self.remove_file.data:
            obj.file_name = obj.content_type = obj.file_data = None


class SiteContentAddForm(SiteContentEditForm):
    """新增: the same, for an item that has no content yet."""

    key = SelectField(_l("Item"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key.choices = [
            (key, str(title)) for key, title in site_content.KEYS.items()
        ]

    def _content_key(self) -> str | None:
        return self.key.data

    def validate_key(self, field):
        if field.data not in site_content.KEYS:
            raise ValidationError(str(_l("Choose an item.")))
        if site_content.get(field.data) is not None:
            raise ValidationError(
                str(_l("This item already has content: edit it instead."))
            )

    def populate_obj(self, obj):
        obj.key = self.key.data
        super().populate_obj(obj)
