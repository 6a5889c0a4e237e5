from app.models import IdentityKind
from tests.conftest import login


def test_healthz_reports_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True


def test_society_contact_sees_channel_list(client, world):
    society = world.society()
    account_id, identity_id = world.account("王学会", "13800000001", IdentityKind.SOCIETY_CONTACT, society=society)
    login(client, account_id, identity_id)

    response = client.get("/enterprise-channels/")

    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "企业渠道设置" in response.get_data(as_text=True)


PLATFORM_LISTS = (
    "/accounts/list/",
    "/identities/list/",
    "/societies/list/",
    "/all-channels/list/",
    "/audit-log/list/",
    "/outbox/list/",
    "/site-content/list/",
)


def test_platform_lists_show_words_and_local_times_not_python_values(client, world):
    import datetime as dt
    import re

    from app.db import write_transaction
    from app.extensions import db
    from app.models import AuditEntry
    from app.services import outbox

    society = world.society()
    world.enterprise(world.root(society), "中建八局", 5)
    account_id, identity_id = world.account("平台管理员", "13800000009", IdentityKind.PLATFORM_ADMIN)
    with write_transaction():
        outbox.queue_sms("13900001111", "测试短信")
    with write_transaction():
        entry = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert entry is not None  # creating the enterprise was audited
        entry.at = dt.datetime(2026, 12, 31, 16, 30, 5, 123456)  # naive UTC
    login(client, account_id, identity_id)

    for url in PLATFORM_LISTS:
        page = client.get(url).get_data(as_text=True)
        cells = re.findall(r"<td>\s*([^<]*?)\s*</td>", page)
        assert cells or "没有找到记录" in page or "No records" in page, url
        for bad in ("None", "True", "False"):
            assert bad not in cells, (url, bad)
        # no microseconds, no bare ISO "T"
        micro = re.search(r".{200}\d{2}:\d{2}:\d{2}\.\d{6}", page, re.S)
        assert micro is None, (url, micro and micro.group(0))
    assert "2027-01-01 00:30:05" in client.get("/audit-log/list/").get_data(as_text=True)
