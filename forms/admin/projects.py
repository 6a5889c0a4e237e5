"""The project form of 工程项目管理 (name ≤200, country, optional period and description)."""

from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.models.projects import PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX
from app.places import country_choices
from app.validation import normalize_text


def _strip(value):
    return normalize_text(value) if isinstance(value, str) else value


class ProjectForm(DynamicForm):
    """Add and edit a project; the owning channel and list kind come from the identity."""

    name = StringField(
        _l("Project name"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter the project name.")), Length(max=PROJECT_NAME_MAX)],
        render_kw={"maxlength": PROJECT_NAME_MAX},
    )
    country = SelectField(
        _l("Country (region)"),
        choices=lambda: [("", "")] + country_choices(),
        validators=[DataRequired(message=_l("Choose the country or region."))],
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[Optional(), Length(max=PROJECT_DESCRIPTION_MAX)],
        render_kw={"rows": 4, "maxlength": PROJECT_DESCRIPTION_MAX},
    )

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))
