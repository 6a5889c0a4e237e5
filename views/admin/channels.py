"""企业渠道设置 (society contact) and 二级企业渠道设置 (level-1 enterprise contact)."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import DomainError
from app.extensions import db
from app.models import Channel, IdentityKind
from app.services import accounts, channels
from forms.admin.channels import ChannelForm, ConfirmForm, ContactForm
from views.admin.base import active_identity, attach_error, page_args


class ChannelSettingsView(BaseView):
    """The enterprises directly under the identity's own node, with their figures."""

    default_view = "list"
    template_folder = "admin/channels"
    title = ""

    # Subclasses define node(): the channel whose children this page manages.

    def _child_or_404(self, channel_id: int) -> Channel:
        node = self.node()
        channel = db.session.scalar(select(Channel).where(Channel.id == channel_id, Channel.parent_id == node.id))
        if channel is None:
            abort(404)
        return channel

    @expose("/")
    @has_access
    def list(self):
        node = self.node()
        page, per_page = page_args(request)
        name = (request.args.get("name") or "").strip()[:50]
        query = select(Channel).where(Channel.parent_id == node.id)
        if name:
            query = query.where(Channel.name.contains(name, autoescape=True))
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = db.session.scalars(query.order_by(Channel.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
        ids = [row.id for row in rows]
        return self.render_template(
            "admin/channels/list.html",
            title=self.title,
            node=node,
            node_figures=channels.figures(node) if node.level > 0 else None,
            rows=rows,
            figures=channels.figures_for(ids),
            contacts=accounts.channel_contacts(ids),
            total=total,
            page=page,
            per_page=per_page,
            name=name,
            button_form=ConfirmForm(),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        identity = active_identity()
        node = self.node()
        form = ChannelForm()
        if form.validate_on_submit():
            try:
                channel = channels.create_enterprise(node, form.name.data, form.quota.data, actor=identity)
            except DomainError as error:
                attach_error(form, error)
            else:
                flash(_("Enterprise %(name)s created with %(quota)d codes.", name=channel.name, quota=channel.quota), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        parent_available = channels.figures(node).available if node.level > 0 else None
        return self.render_template(
            "admin/channels/form.html", title=self.title, form=form, node=node, channel=None,
            parent_available=parent_available, quota_range=None,
            parent_shared=channels.figures(node).shared if node.level > 0 else 0,
        )

    @expose("/<int:channel_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, channel_id: int):
        identity = active_identity()
        channel = self._child_or_404(channel_id)
        form = ChannelForm(obj=channel) if request.method == "GET" else ChannelForm()
        if form.validate_on_submit():
            try:
                channel = channels.update_enterprise(channel, form.name.data, form.quota.data, actor=identity)
            except DomainError as error:
                attach_error(form, error)
            else:
                flash(_("Enterprise %(name)s saved.", name=channel.name), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        node = self.node()
        return self.render_template(
            "admin/channels/form.html", title=self.title, form=form, node=node, channel=channel,
            parent_available=channels.figures(node).available if node.level > 0 else None,
            quota_range=channels.quota_range(channel), figures=channels.figures(channel),
            parent_shared=channels.figures(node).shared if node.level > 0 else 0,
        )

    @expose("/<int:channel_id>/toggle", methods=["POST"])
    @has_access
    def toggle(self, channel_id: int):
        identity = active_identity()
        channel = self._child_or_404(channel_id)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            channel = channels.set_enabled(channel, not channel.enabled, actor=identity)
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            if channel.enabled:
                flash(_("Enterprise %(name)s enabled.", name=channel.name), "success")
            else:
                flash(_("Enterprise %(name)s disabled: its codes cannot be used until it is enabled.", name=channel.name), "warning")
        return redirect(url_for(f"{self.endpoint}.list"))

    @expose("/<int:channel_id>/contact", methods=["GET", "POST"])
    @has_access
    def contact(self, channel_id: int):
        identity = active_identity()
        channel = self._child_or_404(channel_id)
        form = ContactForm()
        if form.validate_on_submit():
            try:
                account, created = accounts.set_channel_contact(
                    channel, name=form.name.data, mobile=form.mobile.data, email=form.email.data, actor=identity
                )
            except DomainError as error:
                attach_error(form, error)
            else:
                if created:
                    flash(_("Account created for %(name)s; a link to set the password was sent by SMS.", name=account.display_name), "success")
                else:
                    flash(_("The existing account with this mobile number or e-mail address is now a contact of this enterprise."), "success")
                return redirect(url_for(f"{self.endpoint}.contact", channel_id=channel.id))
        return self.render_template(
            "admin/channels/contact.html", title=self.title, form=form, channel=channel,
            contacts=accounts.channel_contacts([channel.id]).get(channel.id, []), button_form=ConfirmForm(),
        )

    @expose("/<int:channel_id>/contact/<int:account_id>/remove", methods=["POST"])
    @has_access
    def remove_contact(self, channel_id: int, account_id: int):
        identity = active_identity()
        channel = self._child_or_404(channel_id)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if account_id not in {account.id for account in accounts.channel_contacts([channel.id]).get(channel.id, [])}:
            abort(404)  # not a contact of this enterprise: nothing to say about that account
        try:
            accounts.remove_channel_contact(channel, account_id, actor=identity)
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            flash(_("Contact removed."), "success")
        return redirect(url_for(f"{self.endpoint}.contact", channel_id=channel.id))


class SocietyChannelsView(ChannelSettingsView):
    """企业渠道设置: level-1 enterprises of the society contact's society."""

    route_base = "/enterprise-channels"

    @property
    def title(self):
        return _("Enterprise channel settings")

    def node(self) -> Channel:
        identity = active_identity()
        if identity.kind != IdentityKind.SOCIETY_CONTACT:
            abort(403)
        return channels.get_society_root(identity.society)


class SubChannelsView(ChannelSettingsView):
    """二级企业渠道设置: level-2 enterprises of a level-1 enterprise contact."""

    route_base = "/sub-channels"

    @property
    def title(self):
        return _("Level-2 enterprise channel settings")

    def node(self) -> Channel:
        identity = active_identity()
        channel = identity.channel
        if identity.kind != IdentityKind.ENTERPRISE_CONTACT or channel is None or channel.level != 1:
            abort(403)
        return channel
