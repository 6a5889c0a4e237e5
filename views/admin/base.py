"""Helpers shared by the backend views."""

from flask import abort, flash, g

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


def page_args(request, per_page: int = 20) -> tuple[int, int]:
    """(page, per_page) from the query string, page counted from 1."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return page, per_page
