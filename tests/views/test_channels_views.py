"""The channel pages of part 一 of the manual: add, edit, disable, set contact, share,
with the refusals shown at their field and nothing written."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditEntry, Channel, CodeState, IdentityKind, OutboxMessage, ReferralCode
from tests.conftest import csrf_token, login


@pytest.fixture
def society_contact(client, world):
    society = world.society()
    account_id, identity_id = world.account("王学会", "13800000001", IdentityKind.SOCIETY_CONTACT, society=society)
    login(client, account_id, identity_id)
    return society


def _counts():
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Channel, ReferralCode, Account, AuditEntry, OutboxMessage)
    }


def _field_errors(html: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, message in re.findall(r'class="help-block field-error" data-field="(\w+)">([^<]*)<', html):
        errors.setdefault(field, []).append(message)
    return errors


def _post(client, url, data):
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, **data})


def test_add_enterprise_creates_channel_with_codes(client, society_contact):
    response = _post(client, "/enterprise-channels/add", {"name": "中国建筑第八工程局有限公司", "quota": "10"})

    assert response.status_code == 302
    channel = db.session.scalar(select(Channel).where(Channel.name == "中国建筑第八工程局有限公司"))
    assert channel.level == 1 and channel.quota == 10
    assert db.session.scalar(select(func.count()).where(ReferralCode.channel_id == channel.id)) == 10
    page = client.get("/enterprise-channels/").get_data(as_text=True)
    assert "中国建筑第八工程局有限公司" in page


@pytest.mark.parametrize(
    ("quota", "fragment"),
    [
        ("abc", "whole"),
        ("1.5", "whole"),
        ("１０", "whole"),
        ("", "whole"),
        ("-1", "negative"),
        ("100001", "100000"),
    ],
    ids=["letters", "decimal", "full-width", "empty", "negative", "above-max"],
)
def test_add_enterprise_bad_quota_shows_field_error_and_keeps_form(client, society_contact, quota, fragment):
    before = _counts()

    response = _post(client, "/enterprise-channels/add", {"name": "中交一公局", "quota": quota})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = _field_errors(html)
    assert list(errors) == ["quota"]
    assert 'value="中交一公局"' in html
    assert _counts() == before
    if fragment.isdigit():
        assert fragment in errors["quota"][0].replace(",", "")


def test_add_enterprise_duplicate_name_refused(client, world, society_contact):
    world.enterprise(world.root(society_contact), "中国交通建设股份有限公司", 3)
    before = _counts()

    response = _post(client, "/enterprise-channels/add", {"name": "中国交通建设股份有限公司", "quota": "2"})

    assert list(_field_errors(response.get_data(as_text=True))) == ["name"]
    assert _counts() == before


@pytest.mark.parametrize("name", ["   ", "企" * 51], ids=["whitespace", "51-chars"])
def test_add_enterprise_bad_name_refused_without_server_error(client, society_contact, name):
    before = _counts()

    response = _post(client, "/enterprise-channels/add", {"name": name, "quota": "2"})

    assert response.status_code == 200
    assert list(_field_errors(response.get_data(as_text=True))) == ["name"]
    assert _counts() == before


def test_edit_quota_below_used_plus_delegated_is_refused_with_range(client, world, society_contact):
    from app.services import codes

    level1 = world.enterprise(world.root(society_contact), "一级企业", 10)
    world.enterprise(level1, "二级企业", 3)
    from app.db import write_transaction

    with write_transaction():
        code = db.session.scalar(
            select(ReferralCode).where(ReferralCode.channel_id == level1.id, ReferralCode.state == CodeState.AVAILABLE.value)
        )
        codes.claim_code(code.code)
    before = _counts()

    response = _post(client, f"/enterprise-channels/{level1.id}/edit", {"name": "一级企业", "quota": "3"})

    errors = _field_errors(response.get_data(as_text=True))
    assert list(errors) == ["quota"]
    message = errors["quota"][0]
    assert "4" in message and "1" in message and "3" in message
    assert db.session.get(Channel, level1.id).quota == 10
    assert _counts() == before


def test_disable_and_enable_are_audited(client, world, society_contact):
    level1 = world.enterprise(world.root(society_contact), "一级企业", 2)
    token = csrf_token(client, "/enterprise-channels/")

    client.post(f"/enterprise-channels/{level1.id}/toggle", data={"csrf_token": token})
    disabled = db.session.get(Channel, level1.id).enabled
    client.post(f"/enterprise-channels/{level1.id}/toggle", data={"csrf_token": token})

    assert disabled is False
    assert db.session.get(Channel, level1.id).enabled is True
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == level1.id).order_by(AuditEntry.id)).all()
    assert actions == ["channel.create", "channel.disable", "channel.enable"]


def test_toggle_without_csrf_changes_nothing(client, world, society_contact):
    level1 = world.enterprise(world.root(society_contact), "一级企业", 2)

    client.post(f"/enterprise-channels/{level1.id}/toggle", data={})

    assert db.session.get(Channel, level1.id).enabled is True


def test_set_contact_creates_account_and_sends_one_time_link(client, world, society_contact):
    level1 = world.enterprise(world.root(society_contact), "一级企业", 2)

    response = _post(client, f"/enterprise-channels/{level1.id}/contact", {"name": "李企业", "mobile": "13900001111", "email": ""})

    assert response.status_code == 302
    account = db.session.scalar(select(Account).where(Account.mobile == "13900001111"))
    assert account is not None and account.password is None
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "13900001111"))
    link = re.search(r"/account/set-password/\S+", message.body).group(0)
    assert message.state == "sent"
    page = client.get(f"/enterprise-channels/{level1.id}/contact").get_data(as_text=True)
    assert "139****1111" in page and "13900001111" not in page

    set_page = client.get(link)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', set_page.get_data(as_text=True)).group(1)
    done = client.post(link, data={"csrf_token": token, "password": "new-pass-123", "confirm": "new-pass-123"})
    again = client.get(link).get_data(as_text=True)

    assert done.status_code == 302
    assert db.session.get(Account, account.id).password
    assert 'name="password"' not in again


def test_set_contact_attaches_existing_account_by_email(client, world, society_contact):
    level1 = world.enterprise(world.root(society_contact), "一级企业", 2)
    from app.db import write_transaction
    from app.services import accounts

    with write_transaction():
        existing = accounts.create_account(name="老用户", email="old@example.com", password="pass-word-1")
    before_accounts = _counts()["ab_user"]

    response = _post(client, f"/enterprise-channels/{level1.id}/contact", {"name": "老用户", "mobile": "13900002222", "email": "old@example.com"})

    assert response.status_code == 302
    assert _counts()["ab_user"] == before_accounts
    from app.services.accounts import channel_contacts

    assert [a.id for a in channel_contacts([level1.id])[level1.id]] == [existing.id]


@pytest.mark.parametrize(
    "mobile",
    ["１３９００００１１１１", "139 0000 1111", "+8613900001111", "13900001111\n", "12900001111"],
    ids=["full-width", "spaces", "plus86", "newline", "bad-prefix"],
)
def test_set_contact_bad_mobile_refused_at_field(client, world, society_contact, mobile):
    level1 = world.enterprise(world.root(society_contact), "一级企业", 2)
    before = _counts()

    response = _post(client, f"/enterprise-channels/{level1.id}/contact", {"name": "李企业", "mobile": mobile, "email": ""})

    assert list(_field_errors(response.get_data(as_text=True))) == ["mobile"]
    assert _counts() == before


def test_enterprise_contact_shares_code_by_sms(client, world):
    society = world.society()
    level1 = world.enterprise(world.root(society), "一级企业", 3)
    account_id, identity_id = world.account("李企业", "13800000002", IdentityKind.ENTERPRISE_CONTACT, channel=level1)
    login(client, account_id, identity_id)
    code = db.session.scalar(select(ReferralCode).where(ReferralCode.channel_id == level1.id))

    bad = _post(client, f"/codes/{code.id}/share", {"mobile": "1390000111"})
    good = _post(client, f"/codes/{code.id}/share", {"mobile": "13900003333"})

    assert list(_field_errors(bad.get_data(as_text=True))) == ["mobile"]
    assert good.status_code == 302
    shared = db.session.get(ReferralCode, code.id)
    assert shared.shared_to == "13900003333" and shared.shared_at is not None
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "13900003333"))
    assert code.code in sms.body and "一级企业" in sms.body and f"/apply/code/{code.code}" in sms.body
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "code.share")) == 1
