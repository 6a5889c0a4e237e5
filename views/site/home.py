"""首页 and 联系我们 of the applicant site, and its language switch."""

from flask import abort, current_app, redirect, render_template, request, send_file, session
from flask_login import current_user

from app.services import site_content
from views.site import blueprint, safe_next


@blueprint.app_context_processor
def _unread_messages():
    from app.services import messages

    if request.blueprint == "site" and current_user.is_authenticated:
        return {"unread_messages": messages.unread_count(current_user.id)}
    return {"unread_messages": 0}


@blueprint.route("/")
def home():
    from app.services import applications

    return render_template(
        "site/home.html",
        videos=[site_content.media(key) for key in site_content.VIDEO_KEYS],
        guide=site_content.media("guide"),
        guide_video=site_content.media("guide_video"),
        member_entry=applications.has_member_permission(current_user.id) if current_user.is_authenticated else False,
    )


@blueprint.route("/contact")
def contact():
    return _page("contact")


@blueprint.route("/pages/<key>")
def page(key: str):
    if key not in site_content.PUBLIC_PAGES:
        abort(404)
    return _page(key)


def _page(key: str):
    content = site_content.get(key)
    return render_template(
        "site/page.html",
        key=key,
        content=content,
        title=site_content.title_of(key, content),
        paragraphs=site_content.paragraphs(content.body if content else None),
    )


@blueprint.route("/files/<key>")
def content_file(key: str):
    """An uploaded guide or video, served by the app (no public static path)."""
    if key not in site_content.FILE_KEYS:
        abort(404)
    content = site_content.get(key)
    if content is None or not content.file_data:
        abort(404)
    from io import BytesIO

    return send_file(
        BytesIO(content.file_data),
        mimetype=content.content_type or "application/octet-stream",
        download_name=content.file_name or key,
        as_attachment=key == "guide",
    )


@blueprint.route("/language/<code>")
def language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = code
    return redirect(safe_next(request.args.get("next")))
