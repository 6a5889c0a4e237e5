"""The form of 拟参加工程能力评价人员情况表 (SPEC §3).

The form only carries what was typed, exactly as typed, and the CSRF token: every rule
is app/services/applications.check_application's, which names each refused field.
Choice fields therefore keep any posted string (a value forced into the request is
shown back unselected, with the service's message at the field).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from app.services.applications import (
    EMPLOYER_MAX,
    MOBILE_MAX,
    NAME_MAX,
    OVERSEAS_PROJECT_MAX,
    PRACTICE_MAX,
)

# The fields with an ``n / max`` counter, and their maximum as the service counts.
LIMITS = {
    "name": NAME_MAX,
    "mobile": MOBILE_MAX,
    "employer": EMPLOYER_MAX,
    "overseas_project_name": OVERSEAS_PROJECT_MAX,
    "practice": PRACTICE_MAX,
}

# A refused hidden value is shown at the visible field that set it.
SHOWN_AT = {"project_id": "project_name"}


class ApplicationForm(FlaskForm):
    """Every field of both routes; the page shows the ones of the chosen route."""

    route = HiddenField()
    society_kind = StringField(_l("Recommending society"))
    recommending_society_id = StringField(_l("Recommending channel"))
    referral_code = StringField(_l("Referral code"))
    project_id = HiddenField()
    # Without JavaScript a typed name matching several projects lists them as radios.
    project_choice = StringField()
    project_name = StringField(_l("Project"))
    name = StringField(_l("Name"))
    overseas = StringField(_l("Domestic or overseas"))
    mobile = StringField(_l("Mobile number"))
    email = StringField(_l("E-mail"))
    field_id = StringField(_l("Your field"))
    employer = StringField(_l("Employer"))
    country = StringField(_l("Current country (region)"))
    overseas_project_name = StringField(
        _l("Overseas engineering project you take part in")
    )
    project_country = StringField(_l("Country (region) of the project"))
    assessing_society_id = StringField(_l("Intended assessing society"))
    level = StringField(_l("Level applied for"))
    practice = TextAreaField(_l("Engineering practice"))
    wants_consultation = StringField(_l("Do you need consultation and guidance?"))

    def csrf_valid(self) -> bool:
        """Check the CSRF token only (the view calls the service for the rest)."""
        token = self._fields.get("csrf_token")
        return token is None or token.validate(self)

    def raw(self) -> dict[str, str]:
        """What was posted, field name → string, for the service."""
        return {
            name: field.data if isinstance(field.data, str) else ""
            for name, field in self._fields.items()
            if name not in ("csrf_token", "project_choice")
        }

    def adopt_project_choice(self) -> None:
        """A project picked from the listed matches becomes the form's project, so that
        the page shown again (if another field is refused) keeps it."""
        choice = self.project_choice.data
        if isinstance(choice, str) and choice.strip() and not (self.project_id.data or "").strip():
            self.project_id.data = choice.strip()
        self.project_choice.data = ""

    def attach(self, errors: dict[str, str]) -> list[str]:
        """Put the service's messages at their fields; return those with no visible
        field (shown above the form)."""
        rest = []
        for name, message in errors.items():
            field = self._fields.get(SHOWN_AT.get(name, name))
            if field is None or isinstance(field, HiddenField):
                rest.append(message)
            else:
                field.errors = [*(field.errors or ()), message]
        return rest
