"""Helpers shared by the backend views."""

import re

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_babel import gettext

from app.errors import DomainError


def active_identity():
    """The request's identity; 403 when none is active (the views need one)."""
    identity = g.get("identity")
    if identity is None:
        abort(403)
    return identity


def attach_error(form, error: DomainError) -> None:
    """Show a domain refusal at its field, or as a message above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors or []) + [str(error.message)]
    else:
        flash(str(error.message), "danger")


def flash_handled(done: list[bool]) -> None:
    """After a bulk decision: how many of the selected applications were handled, as a
    success when all were, else as a warning."""
    count = len(done)
    flash(
        gettext(
            "%(done)d of %(count)d selected applications were handled.",
            done=sum(done),
            count=count,
        ),
        "success" if sum(done) == count else "warning",
    )


def page_args(request, per_page: int = 20) -> tuple[int, int]:
    """(page, per_page) from the query string, page counted from 1."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return page, per_page


class HardenedModelView:
    """Mixin for every Flask-AppBuilder ModelView of the product (put it first in the bases).

    Row scoping itself lives in the view's ``base_filters`` and, as the safety net, in
    app/scoping.py. This closes the ModelView paths that FAB leaves open
    (FAB-NOTES, "Row scoping: base_filters are not enough"):

    - actions (``/action/<name>/<pk>``, ``/action_post``) load their rows through the
      view's base filters; an unknown action or a row outside them is a 404 for the
      whole request (nothing is done to the other rows), a refused permission a 403,
      instead of FAB's 500 or redirect; actions are POST only;
    - add and edit refuse ``_flt_`` pre-fill arguments (400): FAB would copy them into
      the form, past the form's own choices;
    - list pages refuse search filters on columns outside ``search_columns``, orders on
      columns outside ``order_columns`` and page arguments that are not small whole
      numbers (400) instead of ignoring them or failing with a 500;
    - a primary key that is not a whole number is a 404;
    - the upload download route, unused here, answers 404.
    """

    max_page_size = 100

    # --- helpers ---------------------------------------------------------------

    def _checked_pk(self, pk):
        """The pk as the model's integer key; 404 for anything else."""
        try:
            value = int(str(pk), 10)
        except (TypeError, ValueError):
            abort(404)
        if not 0 < value < 2**31:
            abort(404)
        return value

    def _scoped_item(self, pk):
        """A row this view may show, through its base filters (and the ORM scope)."""
        item = self.datamodel.get(self._checked_pk(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    def _permitted_action(self, name: str):
        from flask_login import current_user

        action = self.actions.get(name)
        if action is None:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            if current_user.is_authenticated:
                abort(403)
            return None
        return action

    def _refuse_prefill(self) -> None:
        if any(arg.startswith("_flt_") for arg in request.args):
            abort(400)

    def _check_list_args(self) -> None:
        search_filters = self._filters.get_search_filters()
        for arg in request.args:
            value = request.args.get(arg, "")
            match = re.fullmatch(r"_flt_(\d+)_(.+)", arg)
            if match:
                index, column = int(match.group(1)), match.group(2)
                if column not in search_filters or index >= len(search_filters[column]):
                    abort(400)
            elif arg.startswith("_flt_"):
                abort(400)
            elif arg.startswith("_oc_"):
                if value not in (self.order_columns or []):
                    abort(400)
            elif arg.startswith("_od_"):
                if value not in ("asc", "desc"):
                    abort(400)
            elif arg.startswith(("page_", "psize_")):
                if not value.isascii() or not value.isdigit():
                    abort(400)
                number = int(value)
                if arg.startswith("psize_") and not 0 < number <= self.max_page_size:
                    abort(400)
                if arg.startswith("page_") and number > 100_000:
                    abort(400)

    # --- FAB paths -------------------------------------------------------------

    def _list(self, **kwargs):
        self._check_list_args()
        return super()._list(**kwargs)

    def _show(self, pk):
        return super()._show(self._checked_pk(pk))

    def _add(self):
        self._refuse_prefill()
        return super()._add()

    def _edit(self, pk):
        self._refuse_prefill()
        return super()._edit(self._checked_pk(pk))

    def _delete(self, pk):
        return super()._delete(self._checked_pk(pk))

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        action = self._permitted_action(name)
        if action is None:
            return redirect(url_for("AuthDBView.login", next=request.url))
        return action.func(self._scoped_item(pk))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        action = self._permitted_action(request.form.get("action", ""))
        if action is None:
            return redirect(url_for("AuthDBView.login", next=request.url))
        pks = request.form.getlist("rowid")
        if not pks:
            abort(400)
        return action.func([self._scoped_item(pk) for pk in pks])

    @expose("/download/<string:filename>")
    def download(self, filename):
        abort(404)


# --- list formatters shared by the backend's model views ----------------------------


def yes_no(value) -> str:
    """是 / 否 instead of True / False."""
    return gettext("Yes") if value else gettext("No")


def enabled_title(value) -> str:
    return gettext("Enabled") if value else gettext("Disabled")


def blank(value) -> str:
    """Nothing instead of None."""
    return "" if value is None else value
