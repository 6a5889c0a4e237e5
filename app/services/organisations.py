"""Societies, fields and specialties."""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Field, Society, SocietyKind, Specialty
from app.models.organisations import SOCIETY_NAME_MAX
from app.services.channels import ensure_society_root
from app.validation import normalize_text

logger = logging.getLogger(__name__)


def create_society(name: str, kind: str, *, province: str | None = None, fields: list[Field] = ()) -> Society:
    """Create a society with its own root channel."""
    name = normalize_text(name)
    if not name or len(name) > SOCIETY_NAME_MAX:
        raise DomainError(_l("Enter a society name of 1 to %(maximum)d characters.", maximum=SOCIETY_NAME_MAX), field="name")
    kind = SocietyKind(kind).value
    with write_transaction():
        if db.session.scalar(select(Society.id).where(Society.name == name)) is not None:
            raise DomainError(_l("A society with this name already exists."), field="name")
        society = Society(name=name, kind=kind, province=province or None, active=True)
        society.fields = list(fields)
        db.session.add(society)
        db.session.flush()
        ensure_society_root(society)
    logger.info("society %s created", society.id)
    return society


def ensure_field(name: str, specialties: list[str], position: int = 0) -> Field:
    """Find or create a field with its specialties (caller's transaction)."""
    field = db.session.scalar(select(Field).where(Field.name == name))
    if field is None:
        field = Field(name=name, position=position)
        db.session.add(field)
        db.session.flush()
    existing = {specialty.name for specialty in field.specialties}
    for index, specialty_name in enumerate(specialties):
        if specialty_name not in existing:
            db.session.add(Specialty(field_id=field.id, name=specialty_name, position=index))
    return field
