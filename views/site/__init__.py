"""The applicant site (申请人评价系统): its own look, its own login, never the backend."""

from functools import wraps

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

blueprint = Blueprint("site", __name__)


def applicant_required(view):
    """Send anonymous visitors to the applicant login, then back."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("site.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None, default: str = "site.home") -> str:
    """A local path to go back to, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default)
