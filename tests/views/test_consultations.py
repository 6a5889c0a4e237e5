"""The consultation pages (views/admin/consultations.py) through the test client: the
super-admin's list and step forms, refusals shown in Chinese, another society's
super-admin and the other identities kept out (nothing changed), and what the applicant
sees in 个人中心 and 消息中心. Each request runs in its own application context."""

import datetime as dt
import html
import re

import pytest
from flask_appbuilder import Model
from sqlalchemy import select

from app.extensions import db
from app.models import Consultation
from tests.conftest import csrf_token, login
from tests.services.consultation_support import build_consult_world, future, local_input

WATCHED = (
    "consultations",
    "consultation_events",
    "messages",
    "outbox_messages",
    "prospective_applications",
)


@pytest.fixture
def cw(app, world):
    return build_consult_world(world)


@pytest.fixture
def pages(cw, own_contexts):
    """The world first, then every request in its own context."""
    return cw


def snapshot(app) -> dict:
    with app.app_context(), db.engine.connect() as connection:
        return {
            name: [
                tuple(row)
                for row in connection.execute(
                    select(Model.metadata.tables[name]).order_by(
                        *Model.metadata.tables[name].primary_key.columns
                    )
                )
            ]
            for name in WATCHED
        }


def consultation_of(app, application_id):
    with app.app_context():
        row = db.session.scalar(
            select(Consultation).where(Consultation.application_id == application_id)
        )
        return None if row is None else (row.step, row.version)


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def flashes(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(
            r'<div class="alert alert-\w+[^"]*"[^>]*>.*?</button>\s*(.*?)\s*</div>',
            page,
            re.S,
        )
    ]


def post_step(client, pk, action, token, **data):
    return client.post(
        f"/consultations/{pk}/{action}", data={"csrf_token": token, **data}
    )


def test_admin_takes_every_step_through_the_pages(app, client, pages):
    cw = pages
    login(client, *cw.admin1)
    listing = body(client.get("/consultations/"))
    for key in ("a", "b"):
        assert cw.names[key] in listing
    for key in ("c", "d", "e", "f", "g"):
        assert cw.names[key] not in listing
    assert 'data-step="requested"' in listing

    a = cw.apps["a"]
    page = body(client.get(f"/consultations/{a}"))
    assert (
        'id="assign-form"' in page
        and 'id="schedule-form"' not in page
        and 'id="hold-form"' not in page
    )
    assert cw.mobiles["a"] in page  # the super-admin reaches the applicant in full
    token = csrf_token(client, f"/consultations/{a}")

    response = post_step(
        client,
        a,
        "assign",
        token,
        version="0",
        expert_name="王建国",
        expert_contact="13911112222",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/consultations/{a}"
    )
    page = body(client.get(response.headers["Location"]))
    assert "已指派专家。" in page and 'id="expert-name">王建国<' in page
    assert 'id="schedule-form"' in page

    when = future(days=2)
    local = (when + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    response = post_step(
        client,
        a,
        "schedule",
        token,
        version="1",
        method="online",
        scheduled_at=local_input(when),
        meeting="腾讯会议 123-456",
    )
    assert response.status_code == 302
    page = body(client.get(f"/consultations/{a}"))
    assert "咨询已安排，已通知申请人。" in page
    assert (
        f'id="scheduled-at">{local}<' in page
        and 'id="method">在线会议<' in page
        and 'id="meeting">腾讯会议 123-456<' in page
    )

    response = post_step(
        client, a, "hold", token, version="2", notes="建议补充海外项目业绩。"
    )
    assert response.status_code == 302
    page = body(client.get(f"/consultations/{a}"))
    assert "已记录咨询结果。" in page and 'data-step="held"' in page
    assert (
        "该咨询指导已结束，无后续步骤。" in page
        and '<form method="post" action="/consultations/' not in page
    )
    history = re.findall(r'<tr data-kind="consultation">(.*?)</tr>', page, re.S)
    assert len(history) == 3 and all("学会一管理员" in row for row in history)
    assert consultation_of(app, a) == ("held", 3)

    held = body(client.get("/consultations/?step=held"))
    assert cw.names["a"] in held and cw.names["b"] not in held


def test_refusals_are_shown_in_chinese_and_change_nothing(app, client, pages):
    cw = pages
    a = cw.apps["a"]
    login(client, *cw.admin1)
    token = csrf_token(client, f"/consultations/{a}")
    before = snapshot(app)

    # A step out of order, sent without the page offering it.
    response = post_step(client, a, "hold", token, version="0", notes="记录")
    assert response.status_code == 302
    assert "该咨询指导当前为“已申请”，不能记录咨询结果。" in flashes(
        body(client.get(response.headers["Location"]))
    )
    assert snapshot(app) == before

    # A time in the past: the form comes back with the message at its field, as typed.
    post_step(
        client,
        a,
        "assign",
        token,
        version="0",
        expert_name="王工",
        expert_contact="010-1234",
    )
    before = snapshot(app)
    past = local_input(
        dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
    )
    response = post_step(
        client, a, "schedule", token, version="1", method="phone", scheduled_at=past
    )
    page = body(response)
    assert response.status_code == 422
    assert re.search(
        r'field-error" data-field="scheduled_at">咨询时间必须晚于当前时间。<', page
    )
    assert f'value="{past}"' in page
    assert snapshot(app) == before

    # An online meeting without its address.
    response = post_step(
        client,
        a,
        "schedule",
        token,
        version="1",
        method="online",
        scheduled_at=local_input(future(days=1)),
        meeting="",
    )
    assert (
        response.status_code == 422
        and 'data-field="meeting">在线会议须填写会议地址或会议号。<' in body(response)
    )
    assert snapshot(app) == before


def test_a_tab_left_open_is_refused(app, client, pages):
    cw = pages
    a = cw.apps["a"]
    login(client, *cw.admin1)
    token = csrf_token(client, f"/consultations/{a}")
    assert (
        post_step(
            client,
            a,
            "assign",
            token,
            version="0",
            expert_name="王工",
            expert_contact="1",
        ).status_code
        == 302
    )
    before = snapshot(app)

    response = post_step(
        client, a, "assign", token, version="0", expert_name="刘工", expert_contact="2"
    )

    assert (
        "该咨询指导已被他人更新（当前为“已指派专家”），本次操作未执行，请查看后重试。"
        in flashes(body(client.get(response.headers["Location"])))
    )
    assert snapshot(app) == before


@pytest.mark.parametrize("version", [None, "", "abc", "-1", "1" * 12])
def test_a_step_without_a_usable_version_is_malformed(app, client, pages, version):
    cw = pages
    login(client, *cw.admin1)
    token = csrf_token(client, f"/consultations/{cw.apps['a']}")
    data = {"expert_name": "王工", "expert_contact": "1"}
    if version is not None:
        data["version"] = version
    before = snapshot(app)
    assert post_step(client, cw.apps["a"], "assign", token, **data).status_code == 400
    assert snapshot(app) == before


def _urls(pk: int) -> list[tuple[str, str]]:
    return [("GET", f"/consultations/{pk}")] + [
        ("POST", f"/consultations/{pk}/{action}")
        for action in ("assign", "schedule", "hold", "cancel")
    ]


def _form(token: str) -> dict:
    return {
        "csrf_token": token,
        "version": "0",
        "expert_name": "冒名专家",
        "expert_contact": "1",
        "method": "phone",
        "scheduled_at": local_input(future(days=1)),
        "notes": "x",
        "reason": "x",
    }


def test_another_societys_admin_gets_404_and_changes_nothing(app, client, pages):
    cw = pages
    login(client, *cw.admin2)
    token = csrf_token(client, f"/consultations/{cw.apps['d']}")
    listing = body(client.get("/consultations/"))
    assert (
        cw.names["d"] in listing
        and cw.names["a"] not in listing
        and cw.names["b"] not in listing
    )
    before = snapshot(app)

    for key in ("a", "b", "c", "f", "g"):
        for method, url in _urls(cw.apps[key]):
            response = client.open(
                url, method=method, data=_form(token) if method == "POST" else None
            )
            assert response.status_code == 404, (method, url)
            assert cw.names[key] not in body(response)
    for url in ("/consultations/99999999", "/consultations/0"):
        assert client.get(url).status_code == 404

    assert snapshot(app) == before
    assert consultation_of(app, cw.apps["a"]) is None


@pytest.mark.parametrize("who", ["contact1", "e1_contact", "platform"])
def test_other_identities_get_403(app, client, pages, who):
    cw = pages
    login(client, *getattr(cw, who))
    token = csrf_token(client, "/identity/choose")
    before = snapshot(app)

    assert client.get("/consultations/").status_code == 403
    for method, url in _urls(cw.apps["a"]):
        assert (
            client.open(
                url, method=method, data=_form(token) if method == "POST" else None
            ).status_code
            == 403
        ), url

    assert snapshot(app) == before
    assert "/consultations/" not in body(client.get("/"))


def test_anonymous_is_sent_to_login(app, client, pages):
    before = snapshot(app)
    for method, url in [("GET", "/consultations/")] + _urls(pages.apps["a"]):
        response = client.open(url, method=method)
        if method == "GET":
            assert (
                response.status_code == 302
                and "/login/" in response.headers["Location"]
            ), url
        else:
            assert response.status_code == 303, url  # no CSRF token: the form expired
    login_token = csrf_token(client, "/login/")
    for _method, url in _urls(pages.apps["a"])[1:]:
        response = client.post(url, data=_form(login_token))
        assert (
            response.status_code == 302 and "/login/" in response.headers["Location"]
        ), url
    assert snapshot(app) == before


def test_menu_offers_consultation_to_the_super_admin(app, client, pages):
    login(client, *pages.admin1)
    home = body(client.get("/"))
    assert 'href="/consultations/"' in home and "咨询指导" in home


def _center(client) -> str:
    return body(client.get("/apply/center"))


def _section(page: str, pk: int) -> str:
    match = re.search(
        rf'<div class="consultation" id="consultation-{pk}"[^>]*>(.*?)</div>',
        page,
        re.S,
    )
    return match.group(0) if match else ""


def test_applicant_sees_the_arrangement_in_my_centre(app, client, pages):
    cw = pages
    a = cw.apps["a"]
    admin = app.test_client()
    login(admin, *cw.admin1)
    token = csrf_token(admin, f"/consultations/{a}")
    login(client, cw.applicants["a"])

    section = _section(_center(client), a)
    assert 'data-step="requested"' in section and "等待学会安排专家" in section

    post_step(
        admin,
        a,
        "assign",
        token,
        version="0",
        expert_name="王建国",
        expert_contact="13911112222",
    )
    section = _section(_center(client), a)
    assert (
        "学会已指派专家，咨询时间将另行通知。" in section
        and "13911112222" not in section
    )

    when = future(days=3)
    local = (when + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    post_step(
        admin,
        a,
        "schedule",
        token,
        version="1",
        method="phone",
        scheduled_at=local_input(when),
    )
    section = _section(_center(client), a)
    assert 'data-step="scheduled"' in section
    assert '<dd class="method">电话</dd>' in section
    assert f'<dd class="time">{local}</dd>' in section
    assert '<dd class="expert">王建国</dd>' in section
    assert "notes" not in section and "13911112222" not in section

    messages = body(client.get("/apply/messages"))
    assert "您的咨询指导已安排" in messages
    assert f"咨询指导将于{local}（北京时间）以电话方式进行，专家：王建国。" in messages

    post_step(admin, a, "hold", token, version="2", notes="建议补充海外项目业绩。")
    section = _section(_center(client), a)
    assert (
        'data-step="held"' in section
        and '<dd class="notes" style="white-space:pre-wrap">建议补充海外项目业绩。</dd>'
        in section
    )


def test_applicant_without_consultation_sees_no_section(app, client, pages):
    cw = pages
    login(client, cw.applicants["c"])
    page = _center(client)
    assert 'class="consultation"' not in page
    # Another applicant's arrangement is never in one's centre.
    login(client, cw.applicants["d"])
    page = _center(client)
    assert (
        f'id="consultation-{cw.apps["d"]}"' in page
        and f'id="consultation-{cw.apps["a"]}"' not in page
    )
