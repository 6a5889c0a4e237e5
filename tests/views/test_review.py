"""学会审核 pages: the queue with its filters, one application with its history and the
decision buttons, bulk decisions, 常用理由; menus per identity; another society's rows
by URL or in a bulk request; CSRF and POST-only actions; two tabs; the platform admin's
read-only queue; and the identity × endpoint matrix of tests/views/test_scoping.py run
as a society super-admin.

Each request runs in its own application context (``own_contexts``), as behind a real
server; the test reads the database in contexts of its own.
"""

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select, update

from app.db import write_transaction
from app.extensions import db
from app.models import ApplicationEvent, ProspectiveApplication, ReviewReason
from tests.conftest import csrf_token, login
from tests.services.review_support import build, snapshot

PAGE_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def rw(app, world):
    with app.app_context():
        return build(world)


def body(response) -> str:
    return response.get_data(as_text=True)


def _links(page: str) -> set[str]:
    return set(re.findall(r'href="(/[^"?]*)', page))


def _field_errors(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(
        r'class="help-block field-error" data-field="(\w+)">([^<]*)<', page
    ):
        found.setdefault(name, []).append(html.unescape(message))
    return found


def _flashes(page: str) -> str:
    return html.unescape(
        " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S))
    )


def _state(app, application_id: int) -> str:
    with app.app_context():
        return db.session.scalar(
            select(ProspectiveApplication.state).where(
                ProspectiveApplication.id == application_id
            )
        )


def _decisions(app, application_id: int) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(
                ApplicationEvent.to_state,
                ApplicationEvent.actor_id,
                ApplicationEvent.reason,
            )
            .where(
                ApplicationEvent.application_id == application_id,
                ApplicationEvent.to_state.in_(["approved", "returned", "rejected"]),
            )
            .order_by(ApplicationEvent.id)
        ).all()


def _token(client, pk: int) -> str:
    return csrf_token(client, f"/review/{pk}")


# --- menus and home -------------------------------------------------------------------


def test_menus_follow_the_identity(app, client, rw, own_contexts):
    login(client, *rw.admin1)
    home = body(client.get("/"))
    assert {"/review/", "/review-reasons/"} <= _links(home)
    for label in ("学会审核", "拟参加工程能力评价申请审核", "常用理由"):
        assert label in home
    assert client.get("/review/").status_code == 200

    login(client, *rw.platform)
    links = _links(body(client.get("/")))
    assert "/review/" in links and "/review-reasons/" not in links
    assert client.get("/review-reasons/").status_code == 403

    login(client, *rw.contact1)
    assert not {"/review/", "/review-reasons/"} & _links(body(client.get("/")))
    for url in (
        "/review/",
        f"/review/{rw.applicants['a1'].application_id}",
        "/review-reasons/",
        "/review-reasons/add",
    ):
        assert client.get(url).status_code == 403, url


def test_home_links_the_queue_with_the_count_waiting(app, client, rw, own_contexts):
    """The home page (views/admin/home.py, another area) reads reviews.queue_summary."""
    login(client, *rw.admin1)
    home = body(client.get("/"))
    assert 'href="/review/"' in home
    summary = re.search(r'id="review-summary"[^>]*>(.*?)</', home, re.S)
    assert summary is not None
    assert "3" in summary.group(1)
    figures = dict(re.findall(r'data-review="(\w+)" href="[^"]*">(\d+)<', home))
    assert figures == {"waiting": "3", "overdue": "0"}
    assert 'href="/review/?overdue=1"' in home


# --- the queue ------------------------------------------------------------------------


def test_queue_shows_the_societys_applications_only(app, client, rw, own_contexts):
    login(client, *rw.admin1)
    page = body(client.get("/review/"))
    for item in rw.of("s1"):
        assert item.name in page
        assert item.mobile not in page  # masked in the list
        assert f'value="{item.application_id}"' in page  # selectable for bulk
    for item in rw.of("s2"):
        assert item.name not in page
    assert rw.s2_name not in page
    # a2 came through S2's enterprise: its channel is shown with the route.
    assert f"企业 · {rw.ent2_name}" in page


def test_filters_on_the_page(app, client, rw, own_contexts):
    login(client, *rw.admin1)
    page = body(client.get("/review/?from=2026-03-05&to=2026-03-04&name=甲"))
    assert _field_errors(page) == {"to": ["结束日期不能早于开始日期。"]}
    assert (
        rw.applicants["a1"].name in page and rw.applicants["a2"].name not in page
    )  # name applied, dates not

    page = body(
        client.get(
            f"/review/?_flt_0_assessing_society_id={rw.s2_id}&society_id={rw.s2_id}"
        )
    )
    assert (
        "以下筛选条件不受支持，已忽略：_flt_0_assessing_society_id, society_id"
        in html.unescape(page)
    )
    assert all(item.name in page for item in rw.of("s1")) and not any(
        item.name in page for item in rw.of("s2")
    )

    page = body(client.get(f"/review/?field={rw.civil_field_id}&level=trainee"))
    assert _field_errors(page) == {
        "field": ["请从列表中选择领域。"],
        "level": ["请从列表中选择级别。"],
    }


def test_overdue_rows_are_highlighted(app, client, rw, own_contexts):
    a1 = rw.applicants["a1"].application_id
    with app.app_context(), write_transaction():
        db.session.execute(
            update(ProspectiveApplication)
            .where(ProspectiveApplication.id == a1)
            .values(
                submitted_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                - dt.timedelta(days=10)
            )
        )
    login(client, *rw.admin1)
    page = body(client.get("/review/"))
    row = re.search(
        rf'<tr data-application-id="{a1}"[^>]*class="([^"]*)"(.*?)</tr>', page, re.S
    )
    assert (
        "overdue" in row.group(1)
        and "10天" in row.group(2)
        and "已超期" in row.group(2)
    )
    assert page.count("已超期") == 1
    overdue_only = body(client.get("/review/?overdue=1"))
    assert (
        rw.applicants["a1"].name in overdue_only
        and rw.applicants["a2"].name not in overdue_only
    )
    detail = body(client.get(f"/review/{a1}"))
    assert "提交后已等待10天。" in detail and "已超期" in detail


# --- one application -------------------------------------------------------------------


def test_approve_from_the_application_page(app, client, rw, own_contexts):
    a1 = rw.applicants["a1"]
    login(client, *rw.admin1)
    page = body(client.get(f"/review/{a1.application_id}?name=甲"))
    assert a1.mobile in page and "工程实践经历" in page
    assert (
        'value="approve"' in page
        and 'value="return"' in page
        and 'value="reject"' in page
    )
    for label in ("通过", "退回修改", "不通过", "办理记录"):
        assert label in page
    token = PAGE_TOKEN.search(page).group(1)

    response = client.post(
        f"/review/{a1.application_id}/decide?name=甲",
        data={"csrf_token": token, "action": "approve", "reason": ""},
    )

    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/review/?name=%E7%94%B2"
    )
    listing = body(client.get(response.headers["Location"]))
    assert f"{a1.name}：已通过，已为申请人开通注册工程会员申请权限。" in _flashes(
        listing
    )
    assert _state(app, a1.application_id) == "approved"
    detail = body(client.get(f"/review/{a1.application_id}"))
    assert (
        "已为申请人开通注册工程会员申请权限：电机学会REVONE，专业工程会员。" in detail
    )
    assert (
        "审核员甲REVIEWERONE（学会-超级管理员 · 电机学会REVONE）" in detail
    )  # the history says who
    assert "已提交 → 审核通过" in detail
    assert 'value="approve"' not in detail  # decided: no more buttons
    assert (
        "该申请已由审核员甲REVIEWERONE（学会-超级管理员 · 电机学会REVONE）于"
        in html.unescape(detail)
    )


@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_or_reject_without_reason_keeps_the_form(
    app, client, rw, own_contexts, action
):
    a1 = rw.applicants["a1"]
    login(client, *rw.admin1)
    token = _token(client, a1.application_id)
    before = snapshot(app)

    response = client.post(
        f"/review/{a1.application_id}/decide?state=submitted&name=甲",
        data={"csrf_token": token, "action": action, "reason": " \r\n "},
    )

    page = body(response)
    assert response.status_code == 200
    assert _field_errors(page) == {"reason": ["请填写原因。"]}
    assert "审核未执行，请查看表单中的提示。" in _flashes(page)
    # The same form again, with the queue's filters kept for the next try.
    assert (
        f'action="/review/{a1.application_id}/decide?state=submitted&amp;name=%E7%94%B2"'
        in page
    )
    assert snapshot(app) == before


def test_too_long_reason_is_kept_in_the_form(app, client, rw, own_contexts):
    a1 = rw.applicants["a1"]
    login(client, *rw.admin1)
    token = _token(client, a1.application_id)
    before = snapshot(app)
    typed = "工程实践经历描述不足，" * 46  # 506 characters

    page = body(
        client.post(
            f"/review/{a1.application_id}/decide",
            data={"csrf_token": token, "action": "reject", "reason": typed},
        )
    )

    assert _field_errors(page) == {"reason": ["原因最多500个字符。"]}
    assert typed in page
    assert snapshot(app) == before


def test_common_reason_fills_the_reason(app, client, rw, own_contexts):
    from app.services import reviews
    from tests.services.review_support import identity

    a1 = rw.applicants["a1"]
    with app.app_context():
        reason_id = reviews.create_reason(
            identity(rw.admin1[1]), "请补充项目业绩证明"
        ).id
        theirs = reviews.create_reason(identity(rw.admin2[1]), "土木学会的理由").id
    login(client, *rw.admin1)
    page = body(client.get(f"/review/{a1.application_id}"))
    assert (
        f'<option value="{reason_id}">请补充项目业绩证明</option>' in page
        and "土木学会的理由" not in page
    )
    token = PAGE_TOKEN.search(page).group(1)
    before = snapshot(app)

    refused = body(
        client.post(
            f"/review/{a1.application_id}/decide",
            data={"csrf_token": token, "action": "return", "reason_id": str(theirs)},
        )
    )
    assert _field_errors(refused) == {"reason_id": ["请从列表中选择常用理由。"]}
    assert snapshot(app) == before

    response = client.post(
        f"/review/{a1.application_id}/decide",
        data={
            "csrf_token": token,
            "action": "return",
            "reason_id": str(reason_id),
            "reason": "",
        },
    )
    assert response.status_code == 302
    assert _decisions(app, a1.application_id) == [
        ("returned", rw.admin1[0], "请补充项目业绩证明")
    ]


def test_second_tab_is_told_who_decided(app, client, rw, own_contexts):
    a2 = rw.applicants["a2"]
    tab1, tab2 = client, app.test_client()
    login(tab1, *rw.admin1)
    login(tab2, *rw.admin1b)
    token1, token2 = _token(tab1, a2.application_id), _token(tab2, a2.application_id)

    assert (
        tab1.post(
            f"/review/{a2.application_id}/decide",
            data={"csrf_token": token1, "action": "approve"},
        ).status_code
        == 302
    )
    response = tab2.post(
        f"/review/{a2.application_id}/decide",
        data={"csrf_token": token2, "action": "reject", "reason": "不符合"},
    )

    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/review/{a2.application_id}"
    )
    page = body(tab2.get(response.headers["Location"]))
    message = _flashes(page)
    assert (
        "该申请已由审核员甲REVIEWERONE（学会-超级管理员 · 电机学会REVONE）于" in message
    )
    assert "处理（审核通过），本次操作未执行。" in message
    assert _decisions(app, a2.application_id) == [("approved", rw.admin1[0], None)]
    assert _state(app, a2.application_id) == "approved"


# --- another society's rows, CSRF, methods --------------------------------------------------


def test_other_societys_application_by_url_is_404_and_unchanged(
    app, client, rw, own_contexts
):
    login(client, *rw.admin1)
    token = csrf_token(client, "/review/")
    before = snapshot(app)
    for foreign in rw.of("s2"):
        pk = foreign.application_id
        assert client.get(f"/review/{pk}").status_code == 404
        for action in ("approve", "return", "reject"):
            response = client.post(
                f"/review/{pk}/decide",
                data={"csrf_token": token, "action": action, "reason": "原因"},
            )
            assert response.status_code == 404
            assert foreign.name not in body(response)
        for action in ("approve", "return"):
            for rowids in (
                [str(pk)],
                [str(rw.applicants["a1"].application_id), str(pk)],
                [str(pk), "abc"],
            ):
                response = client.post(
                    "/review/bulk",
                    data={
                        "csrf_token": token,
                        "action": action,
                        "reason": "原因",
                        "rowid": rowids,
                    },
                )
                assert response.status_code == 404, rowids
    assert client.get("/review/99999999").status_code == 404
    assert snapshot(app) == before
    # S2's own super-admin reaches them.
    login(client, *rw.admin2)
    assert (
        client.get(f"/review/{rw.applicants['b1'].application_id}").status_code == 200
    )


def test_posts_need_the_csrf_token_and_post(app, client, rw, own_contexts):
    a1 = rw.applicants["a1"].application_id
    login(client, *rw.admin1)
    before = snapshot(app)
    for url, data in (
        (f"/review/{a1}/decide", {"action": "approve"}),
        ("/review/bulk", {"action": "approve", "rowid": [str(a1)]}),
        ("/review-reasons/add", {"text": "新理由"}),
    ):
        for token in (None, "forged-token"):
            form = dict(data) if token is None else {**data, "csrf_token": token}
            response = client.post(url, data=form)
            assert response.status_code == 303, (
                url
            )  # the app's CSRF refusal: back, with a message
    for url in (f"/review/{a1}/decide", "/review/bulk"):
        assert client.get(url).status_code == 405
    assert snapshot(app) == before


def test_unknown_action_is_400(app, client, rw, own_contexts):
    a1 = rw.applicants["a1"].application_id
    login(client, *rw.admin1)
    token = _token(client, a1)
    before = snapshot(app)
    assert (
        client.post(
            f"/review/{a1}/decide", data={"csrf_token": token, "action": "withdraw"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/review/bulk",
            data={
                "csrf_token": token,
                "action": "reject",
                "reason": "x",
                "rowid": [str(a1)],
            },
        ).status_code
        == 400
    )
    assert snapshot(app) == before


# --- bulk -------------------------------------------------------------------------------


def test_bulk_with_mixed_rows_reports_each(app, client, rw, own_contexts):
    from app.services import applications

    a1, a2, a3 = (rw.applicants[key] for key in ("a1", "a2", "a3"))
    with app.app_context():
        row = db.session.get(ProspectiveApplication, a3.application_id)
        applications.transition(row, "withdraw", actor_id=a3.account_id)
    tab2 = app.test_client()
    login(tab2, *rw.admin1b)
    tab2.post(
        f"/review/{a2.application_id}/decide",
        data={
            "csrf_token": _token(tab2, a2.application_id),
            "action": "reject",
            "reason": "不符合",
        },
    )
    login(client, *rw.admin1)
    token = csrf_token(client, "/review/")

    response = client.post(
        "/review/bulk?state=all",
        data={
            "csrf_token": token,
            "action": "approve",
            "rowid": [
                str(a1.application_id),
                str(a2.application_id),
                str(a3.application_id),
            ],
        },
    )

    page = html.unescape(body(response))
    assert response.status_code == 200
    rows = re.findall(
        r'<tr data-application-id="(\d+)" data-done="(\w+)"[^>]*>(.*?)</tr>', page, re.S
    )
    assert [(int(pk), done) for pk, done, _ in rows] == [
        (a1.application_id, "yes"),
        (a2.application_id, "no"),
        (a3.application_id, "no"),
    ]
    assert "已通过，已为申请人开通注册工程会员申请权限。" in rows[0][2]
    assert (
        "该申请已由审核员乙REVIEWERTWO（学会-超级管理员 · 电机学会REVONE）于"
        in rows[1][2]
        and "（审核不通过）" in rows[1][2]
    )
    assert f"{a3.name}（申请人）" in rows[2][2] and "（已撤回）" in rows[2][2]
    assert "所选3条申请中已处理1条。" in _flashes(page)
    assert 'href="/review/?state=all"' in page
    assert [_state(app, item.application_id) for item in (a1, a2, a3)] == [
        "approved",
        "rejected",
        "withdrawn",
    ]


def test_bulk_return_without_reason_keeps_the_selection(app, client, rw, own_contexts):
    a1, a3 = rw.applicants["a1"].application_id, rw.applicants["a3"].application_id
    login(client, *rw.admin1)
    token = csrf_token(client, "/review/")
    before = snapshot(app)

    response = client.post(
        "/review/bulk",
        data={
            "csrf_token": token,
            "action": "return",
            "reason": "",
            "rowid": [str(a1), str(a3)],
        },
    )

    page = body(response)
    assert response.status_code == 200
    assert _field_errors(page) == {"reason": ["请填写原因。"]}
    checked = set(re.findall(r'name="rowid" value="(\d+)"[^>]*checked', page))
    assert checked == {str(a1), str(a3)}
    assert snapshot(app) == before

    response = client.post(
        "/review/bulk",
        data={
            "csrf_token": token,
            "action": "return",
            "reason": "请补充证明材料",
            "rowid": [str(a1), str(a3)],
        },
    )
    assert response.status_code == 200
    assert [_state(app, pk) for pk in (a1, a3)] == ["returned", "returned"]


# --- the platform admin reads, never decides -----------------------------------------------


def test_platform_admin_reads_every_queue_read_only(app, client, rw, own_contexts):
    login(client, *rw.platform)
    page = body(client.get("/review/"))
    assert all(item.name in page for item in rw.applicants.values())
    assert 'name="rowid"' not in page and "bulk-form" not in page
    assert "只读：各学会的审核列表。审核由学会-超级管理员进行。" in html.unescape(page)
    only_s2 = body(client.get(f"/review/?society={rw.s2_id}"))
    assert all(item.name in only_s2 for item in rw.of("s2")) and not any(
        item.name in only_s2 for item in rw.of("s1")
    )

    pk = rw.applicants["b1"].application_id
    detail = body(client.get(f"/review/{pk}"))
    assert rw.applicants["b1"].name in detail and 'value="approve"' not in detail
    token = csrf_token(client, "/identity/choose")
    before = snapshot(app)
    assert (
        client.post(
            f"/review/{pk}/decide", data={"csrf_token": token, "action": "approve"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/review/bulk",
            data={"csrf_token": token, "action": "approve", "rowid": [str(pk)]},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/review-reasons/add", data={"csrf_token": token, "text": "平台"}
        ).status_code
        == 403
    )
    assert snapshot(app) == before


# --- 常用理由 ---------------------------------------------------------------------------------


def test_reason_texts_pages(app, client, rw, own_contexts):
    from app.services import reviews
    from tests.services.review_support import identity

    with app.app_context():
        theirs = reviews.create_reason(identity(rw.admin2[1]), "土木学会的理由").id
    login(client, *rw.admin1)
    token = csrf_token(client, "/review-reasons/add")

    assert (
        client.post(
            "/review-reasons/add",
            data={"csrf_token": token, "text": "请补充项目业绩证明"},
        ).status_code
        == 302
    )
    listing = body(client.get("/review-reasons/"))
    assert "请补充项目业绩证明" in listing and "土木学会的理由" not in listing
    assert "常用理由已新增。" in _flashes(listing)
    page = body(
        client.post(
            "/review-reasons/add",
            data={"csrf_token": token, "text": "请补充项目业绩证明"},
        )
    )
    assert _field_errors(page) == {"text": ["本学会已有相同的常用理由。"]}
    page = body(
        client.post("/review-reasons/add", data={"csrf_token": token, "text": "  "})
    )
    assert _field_errors(page) == {"text": ["请填写理由内容。"]}

    with app.app_context():
        mine = db.session.scalar(
            select(ReviewReason.id).where(ReviewReason.text == "请补充项目业绩证明")
        )
    assert (
        client.post(
            f"/review-reasons/{mine}/edit",
            data={"csrf_token": token, "text": "请补充盖章的业绩证明"},
        ).status_code
        == 302
    )
    assert "请补充盖章的业绩证明" in body(client.get("/review-reasons/"))

    before = snapshot(app)
    assert client.get(f"/review-reasons/{theirs}/edit").status_code == 404
    assert (
        client.post(
            f"/review-reasons/{theirs}/edit", data={"csrf_token": token, "text": "改"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/review-reasons/{theirs}/delete", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert client.get(f"/review-reasons/{mine}/delete").status_code == 405
    assert snapshot(app) == before

    assert (
        client.post(
            f"/review-reasons/{mine}/delete", data={"csrf_token": token}
        ).status_code
        == 302
    )
    assert "请补充盖章的业绩证明" not in body(client.get("/review-reasons/"))


# --- the identity × endpoint matrix, as a society super-admin -----------------------------------


def test_no_route_reaches_a_foreign_row_as_super_admin(
    app, client, world, scoping_world, own_contexts, monkeypatch
):
    """tests/views/test_scoping.py's probe over every route of app.url_map, acting as
    S1's super-admin: A2's application is addressed to S1, C's to S2, the others to
    nobody. The review routes get the ids of every application not addressed to S1 and
    the reason texts of S2."""
    from app.models import IdentityKind, Society
    from app.services import reviews
    from tests.views import test_scoping
    from tests.views.test_scoping import BAD_PKS, Probe, Viewer, run_matrix

    w = scoping_world
    with app.app_context():
        with write_transaction():
            db.session.execute(
                update(ProspectiveApplication)
                .where(ProspectiveApplication.id.in_(w.a2.application_ids))
                .values(assessing_society_id=w.s1_id)
            )
            db.session.execute(
                update(ProspectiveApplication)
                .where(ProspectiveApplication.id.in_(w.c.application_ids))
                .values(assessing_society_id=w.s2_id)
            )
        s2_admin = world.account(
            "学会二管理员",
            "13600000077",
            IdentityKind.SOCIETY_ADMIN,
            society=db.session.get(Society, w.s2_id),
        )
        from tests.services.review_support import identity

        foreign_reasons = [
            reviews.create_reason(identity(s2_admin[1]), f"学会二理由{n}").id
            for n in (1, 2)
        ]
    foreign_applications = [
        pk for org in (w.a, w.b, w.b2, w.c, w.c2) for pk in org.application_ids
    ]
    original = test_scoping._pks

    def pks(viewer, world_, view):
        if view == "ReviewView":
            return foreign_applications + BAD_PKS
        if view == "ReviewReasonsView":
            return foreign_reasons + BAD_PKS
        return original(viewer, world_, view)

    monkeypatch.setattr(test_scoping, "_pks", pks)
    viewer = Viewer(
        name="society super-admin of S1",
        account_id=w.s1_admin[0],
        identity_id=w.s1_admin[1],
        forbidden=[w.s2_name, *w.c.secrets(), *w.c2.secrets(), "学会二理由1"],
        channels=[w.c.channel_id, w.a.channel_id, w.s1_root_id],
        projects=w.c.all_project_ids + w.a2.all_project_ids,
        codes=w.c.code_ids + w.a2.code_ids,
        contacts=[(w.c.channel_id, w.c.contact_account_id)],
        identities=[w.c.contact_identity_id, w.s2_contact[1]],
        accounts=[w.c.contact_account_id, w.s2_contact[0]],
    )
    probe = Probe(app, client, viewer)
    probe.refresh_token()
    queue = probe.send("GET", "/review/", strict=False)
    assert w.a2.applicant_names[0] in body(queue) and w.a.applicant_names[
        0
    ] not in body(queue)

    run_matrix(probe, app, w)

    assert probe.count > 500
    assert not probe.problems, (
        f"{len(probe.problems)} of {probe.count} requests broke scoping:\n"
        + "\n".join(probe.problems)
    )
