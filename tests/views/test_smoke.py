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
