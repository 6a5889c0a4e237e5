"""修改密码 in the backend: the current password first, each refusal at its field with
nothing changed; FAB's reset-my-password page (no current password) is not granted."""

import re

import pytest
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import Account, IdentityKind
from tests.conftest import csrf_token, login

URL = "/account/password"
OLD = "secret-pass-1"  # the world's default password


def _text(message) -> str:
    return str(message)


@pytest.fixture
def contact(client, world):
    society = world.society()
    account_id, identity_id = world.account("王学会", "13800000001", IdentityKind.SOCIETY_CONTACT, society=society)
    login(client, account_id, identity_id)
    return account_id


def _errors(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(r'class="help-block field-error" data-field="(\w+)">([^<]*)<', page):
        found.setdefault(name, []).append(message)
    return found


def _post(client, **data):
    return client.post(URL, data={"csrf_token": csrf_token(client, URL), **data})


def _hash(account_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Account, account_id).password


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current": "wrong-pass-1", "password": "new-pass-123", "confirm": "new-pass-123"}, "current", _l("The current password is not right.")),
        ({"current": OLD, "password": "short", "confirm": "short"}, "password", _l("A password has at least %(minimum)d characters and no surrounding spaces.", minimum=8)),
        ({"current": OLD, "password": "new-pass-123", "confirm": "new-pass-124"}, "confirm", _l("The two passwords differ.")),
        ({"current": OLD, "password": OLD, "confirm": OLD}, "password", _l("Choose a password different from the current one.")),
    ],
    ids=["wrong-current", "too-short", "repeat-differs", "same-as-current"],
)
def test_refusals_are_at_their_field_and_change_nothing(app, client, contact, data, field, message):
    before = _hash(contact)

    response = _post(client, **data)

    assert response.status_code == 200
    with app.test_request_context():
        assert _errors(response.get_data(as_text=True)) == {field: [_text(message)]}
    assert _hash(contact) == before


def test_password_is_changed_with_the_current_one(client, contact):
    response = _post(client, current=OLD, password="new-pass-123", confirm="new-pass-123")

    assert response.status_code == 302
    assert check_password_hash(_hash(contact), "new-pass-123")
    assert "修改密码" in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login_and_fab_reset_my_password_is_not_granted(client, contact):
    assert client.get("/resetmypassword/form").status_code in (302, 403)
    with client.session_transaction() as session:
        session.clear()
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
