"""The identity chooser after login and the switch in the navbar."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from app.identities import choose_identity, usable_identities
from forms.admin.channels import ConfirmForm


def _safe_next(target: str | None) -> str:
    """A path on this site; browsers read "/\\host" like "//host", another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target and target.isprintable():
        return target
    return url_for("HomeIndexView.index")


class IdentityView(BaseView):
    """Choose which identity (身份) to act as; only the account's own are offered."""

    route_base = "/identity"
    default_view = "choose"

    @expose("/choose", methods=["GET", "POST"])
    def choose(self):
        if not current_user.is_authenticated:
            return redirect(url_for("AuthDBView.login", next=request.full_path))
        choices = usable_identities(current_user.id)
        form = ConfirmForm()
        if request.method == "POST":
            if not form.validate_on_submit():
                abort(400)
            try:
                identity_id = int(request.form.get("identity_id", ""))
            except ValueError:
                abort(400)
            identity = choose_identity(current_user.id, identity_id)
            if identity is None:
                abort(404)
            flash(_("You now act as %(identity)s.", identity=str(identity)), "info")
            return redirect(_safe_next(request.args.get("next")))
        return self.render_template("admin/identities/choose.html", choices=choices, form=form)
