"""注册工程会员申请审核 and 评价结果导入 pages (views/admin/members.py): the queue with its
filters, one application with every section, its photo and history, 受理 / 退回 /
通过评价 / 未通过 / 注册 with their refusals as the user reads them, two tabs, bulk
decisions, another society's rows by URL, in a bulk request and in an import, the
import's dry run (nothing written) and 确认导入 (exactly the valid rows, audited), who
may read the photo, the member columns of 工程能力评价人员总览 per identity, and the
identity × endpoint matrix of tests/views/test_scoping.py as a society super-admin.

Each request runs in its own application context (``own_contexts``), as behind a real
server; the test arranges and reads the database in contexts of its own.
"""

import datetime as dt
import html
import io
import re

import openpyxl
import pytest
from flask import url_for
from sqlalchemy import func, select, update

from app.db import write_transaction
from app.extensions import db
from app.models import (
    Account,
    AuditEntry,
    Channel,
    IdentityKind,
    MemberApplication,
    MemberEvent,
)
from app.services import members, uploads
from app.services.member_sections import ROW_FIELDS
from app.times import LOCAL_ZONE
from tests.conftest import csrf_token, login
from tests.services.member_support import (
    build_world,
    cached_world,
    fresh,
    id_number_of,
    member_snapshot,
    opened,
    set_state,
    submitted,
    workbook,
)

ALREADY = re.compile(
    r"该申请已由(.+)于(\d{4}-\d\d-\d\d \d\d:\d\d)处理（(.+)），本次操作未执行。"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the world ---------------------------------------------------------------------------


class Arranged:
    """The member world (tests/services/member_support.py) with member applications:
    a1, a2, a3 and a9 of S1 and b1 of S2 submitted, a4 of S1 a draft."""

    def __init__(self, app, world, tmp_path_factory):
        self.app = app
        self.w = cached_world(app, world, tmp_path_factory)
        self.rw = self.w.rw
        self.ids = {}
        for key in ("a1", "a2", "a3", "a9", "b1"):
            self.ids[key] = submitted(self.w, key).id
        self.ids["a4"] = opened(self.w, "a4").id
        self.names = {
            key: db.session.get(MemberApplication, pk).name
            for key, pk in self.ids.items()
        }
        self.prospective = {
            key: self.rw.applicants[key].application_id for key in self.ids
        }
        db.session.commit()

    def state(self, key: str) -> str:
        with self.app.app_context():
            return db.session.scalar(
                select(MemberApplication.state).where(
                    MemberApplication.id == self.ids[key]
                )
            )

    def row(self, key: str) -> MemberApplication:
        with self.app.app_context():
            row = db.session.get(MemberApplication, self.ids[key])
            db.session.expunge(row)
            return row

    def arrange(self, function, *args, **kwargs):
        """Run a service call of the arrangement in a context of its own."""
        with self.app.app_context():
            result = function(*args, **kwargs)
            db.session.commit()
            return result


@pytest.fixture
def mw(app, world, tmp_path_factory):
    return Arranged(app, world, tmp_path_factory)


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


def _token(client, url: str = "/member-review/") -> str:
    return csrf_token(client, url)


def _decide(client, pk: int, action: str, token: str, **data):
    return client.post(
        f"/member-review/{pk}/decide",
        data={"csrf_token": token, "action": action, **data},
    )


def _audit(app, action: str, pk: int | None = None) -> int:
    with app.app_context():
        statement = select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
        if pk is not None:
            statement = statement.where(
                AuditEntry.target_type == "member_applications",
                AuditEntry.target_id == pk,
            )
        return db.session.scalar(statement)


def _year() -> int:
    return dt.datetime.now(LOCAL_ZONE).year


# --- menus -------------------------------------------------------------------------------


def test_menus_follow_the_identity(app, client, mw, own_contexts):
    rw = mw.rw
    login(client, *rw.admin1)
    home = body(client.get("/"))
    assert {"/member-review/", "/member-import/"} <= _links(home)
    for label in ("学会审核", "注册工程会员申请审核", "评价结果导入"):
        assert label in home

    login(client, *rw.platform)
    links = _links(body(client.get("/")))
    assert "/member-review/" in links and "/member-import/" not in links
    assert client.get("/member-import/").status_code == 403
    assert client.get("/member-import/template").status_code == 403

    login(client, *rw.contact1)
    assert not {"/member-review/", "/member-import/"} & _links(body(client.get("/")))
    for url in (
        "/member-review/",
        f"/member-review/{mw.ids['a1']}",
        f"/member-review/{mw.ids['a1']}/photo",
        "/member-import/",
        "/member-import/template",
    ):
        assert client.get(url).status_code == 403, url


# --- the queue ---------------------------------------------------------------------------


def test_queue_lists_the_societys_submitted_applications(app, client, mw, own_contexts):
    login(client, *mw.rw.admin1)
    page = body(client.get("/member-review/"))
    rows = re.findall(r'<tr data-application-id="(\d+)" data-state="(\w+)"', page)
    assert {int(pk) for pk, _state in rows} == {
        mw.ids[key] for key in ("a1", "a2", "a3", "a9")
    }
    assert mw.names["b1"] not in page and mw.rw.s2_name not in page
    assert mw.names["a4"] not in page  # a draft is the applicant's own
    # Mobile and ID numbers masked in the list; the oldest first.
    assert "13900001111" not in page and "139****1111" in page
    assert id_number_of("a1") not in page
    assert id_number_of("a1")[:3] + "*" * 13 + id_number_of("a1")[-2:] in page
    assert [int(pk) for pk, _state in rows] == sorted(int(pk) for pk, _ in rows)
    for label in (
        "注册工程会员申请审核",
        "申请编号",
        "领域及专业",
        "会员编号",
        "已提交",
    ):
        assert label in page, label


def test_queue_filters_and_their_refusals(app, client, mw, own_contexts):
    mw.arrange(set_state, mw.ids["a2"], "accepted")
    login(client, *mw.rw.admin1)

    page = body(client.get("/member-review/?from=2026-03-05&to=2026-03-04&name=甲"))
    assert _field_errors(page) == {"to": ["结束日期不能早于开始日期。"]}
    assert mw.names["a1"] in page and mw.names["a2"] not in page  # name applied

    page = body(client.get("/member-review/?from=2026-3-5&level=associate&state=x"))
    assert _field_errors(page) == {
        "from": ["请按YYYY-MM-DD格式填写日期。"],
        "level": ["请从列表中选择级别。"],
        "state": ["请从列表中选择状态。"],
    }

    page = body(client.get("/member-review/?state=accepted"))
    assert mw.names["a2"] in page and mw.names["a1"] not in page
    page = body(client.get("/member-review/?level=senior"))
    assert mw.names["a9"] in page and mw.names["a1"] not in page
    page = body(client.get(f"/member-review/?id_number={id_number_of('a3')}"))
    assert mw.names["a3"] in page and mw.names["a1"] not in page

    today = dt.datetime.now(LOCAL_ZONE).date()
    page = body(client.get(f"/member-review/?from={today}&to={today}"))
    assert all(mw.names[key] in page for key in ("a1", "a2", "a3", "a9"))
    tomorrow = today + dt.timedelta(days=1)
    page = body(client.get(f"/member-review/?from={tomorrow}"))
    assert "没有符合条件的申请" in page
    # A field of the other society offers nothing from it.
    page = body(client.get(f"/member-review/?field={mw.rw.civil_field_id}"))
    assert mw.names["b1"] not in page and mw.names["a1"] not in page


def test_queue_pages(app, client, mw, own_contexts, monkeypatch):
    from views.admin import members as member_views

    original = member_views.page_args
    monkeypatch.setattr(member_views, "page_args", lambda request: original(request, 2))
    login(client, *mw.rw.admin1)
    first = body(client.get("/member-review/"))
    second = body(client.get("/member-review/?page=2"))
    shown = lambda page: set(re.findall(r'<tr data-application-id="(\d+)"', page))  # noqa: E731
    assert len(shown(first)) == len(shown(second)) == 2
    assert not shown(first) & shown(second)
    assert "第1页，共2页" in first and "共4条" in first


# --- one application -----------------------------------------------------------------------


def test_application_page_shows_every_section(app, client, mw, own_contexts):
    pk = mw.ids["a1"]
    # Registered by e-mail: the account's name is the e-mail's first part; the history
    # names the applicant by the name on the application.
    with app.app_context(), write_transaction():
        account = db.session.get(Account, mw.w.applicant("a1").account_id)
        account.first_name, account.last_name = "lvqiang", ""
    login(client, *mw.rw.admin1)
    page = body(client.get(f"/member-review/{pk}"))

    for title in (
        "基本情况",
        "教育经历",
        "工作经历",
        "工程实践经历",
        "获奖与成果",
        "继续职业发展",
        "诚信承诺",
    ):
        assert title in page, title
    # 基本情况 by its labels and titles, the ID number in full here.
    for text in (
        "姓名拼音",
        "ZHANG SAN",
        "男",
        "1985-06-15",
        "湖北省 仙桃市",
        "汉族",
        "居民身份证",
        id_number_of("a1"),
        "正高级工程师",
        "浙江省杭州市潮王路22号",
        "清华大学",
        "白鹤滩水电站送出工程",
        "负责换流站总体设计与调试。",
        "国家科学技术进步奖二等奖",
        "高压直流输电技术研修班",
        "至今",  # the work row has no end
        "申请人已签署诚信承诺。",
    ):
        assert text in page, text
    assert f'src="/member-review/{pk}/photo"' in page
    # The buttons of a submitted application: 受理 and 退回 only.
    buttons = re.findall(r'name="action" value="(\w+)"', page)
    assert buttons == ["accept", "return"]
    assert ">受理<" in page and ">退回<" in page
    # The history names the applicant's submission.
    with app.app_context():
        name = fresh(pk).name  # as filled: 基本情况's 姓名
    assert f"{name}（申请人）" in page
    assert "lvqiang" not in page


def test_column_labels_cover_every_row_field():
    from views.admin.members import ROW_LABELS

    assert {key: set(fields) for key, fields in ROW_LABELS.items()} == {
        key: {spec.name for spec in specs} for key, specs in ROW_FIELDS.items()
    }


def test_accept_pass_and_register_in_order(app, client, mw, own_contexts):
    pk = mw.ids["a1"]
    name = mw.names["a1"]
    login(client, *mw.rw.admin1)
    token = _token(client, f"/member-review/{pk}")

    response = _decide(client, pk, "accept", token, state="submitted")
    assert response.status_code == 302
    page = body(client.get(response.headers["Location"]))
    assert f"{name}：已受理。" in _flashes(page)
    assert re.findall(r'name="action" value="(\w+)"', page) == [
        "return",
        "pass",
        "fail",
    ]
    assert "已提交 → 已受理" in page
    assert "审核员甲REVIEWERONE（学会-超级管理员 · 电机学会REVONE）" in page

    page = body(
        client.get(
            _decide(client, pk, "pass", token, state="accepted").headers["Location"]
        )
    )
    assert f"{name}：已记录为通过评价。" in _flashes(page)
    assert re.findall(r'name="action" value="(\w+)"', page) == ["register"]

    page = body(
        client.get(
            _decide(client, pk, "register", token, state="passed").headers["Location"]
        )
    )
    number = f"{mw.rw.s1_id:03d}-P-{_year()}-00001"
    assert f"{name}：已注册，会员编号：{number}。" in _flashes(page)
    assert re.search(rf'id="member-number">会员编号：<strong>{number}</strong>', page)
    assert 'name="action"' not in page
    assert mw.state("a1") == "registered"
    for action in ("accept", "pass", "register"):
        assert _audit(app, f"member.{action}", pk) == 1
    listing = body(client.get("/member-review/?state=registered"))
    assert number in listing and name in listing


def test_return_needs_a_reason_then_the_applicant_resubmits(
    app, client, mw, own_contexts
):
    pk = mw.ids["a2"]
    login(client, *mw.rw.admin1)
    token = _token(client, f"/member-review/{pk}")
    before = member_snapshot(app)

    response = _decide(client, pk, "return", token, state="submitted", reason=" \r\n ")

    page = body(response)
    assert response.status_code == 200
    assert _field_errors(page) == {"reason": ["请填写原因。"]}
    assert "审核未执行，请查看表单中的提示。" in _flashes(page)
    assert member_snapshot(app) == before

    too_long = "请补充项目业绩证明。" * 51  # 510 characters
    page = body(
        _decide(client, pk, "return", token, state="submitted", reason=too_long)
    )
    assert _field_errors(page) == {"reason": ["原因最多500个字符。"]}
    assert too_long in page
    assert member_snapshot(app) == before

    response = _decide(
        client, pk, "return", token, state="submitted", reason="请补充项目业绩证明。"
    )
    page = body(client.get(response.headers["Location"]))
    assert f"{mw.names['a2']}：已退回申请人修改。" in _flashes(page)
    assert "已退回申请人修改：请补充项目业绩证明。" in page
    assert mw.state("a2") == "returned"
    assert 'name="action"' not in page  # the applicant's turn

    mw.arrange(members.submit, mw.rw.applicants["a2"].account_id)
    page = body(client.get(f"/member-review/{pk}"))
    assert re.findall(r'name="action" value="(\w+)"', page) == ["accept", "return"]
    assert "退回 → 已提交" in page


def test_fail_ends_the_application(app, client, mw, own_contexts):
    pk = mw.ids["a3"]
    mw.arrange(set_state, pk, "accepted", accepted_at=dt.datetime(2026, 1, 1))
    login(client, *mw.rw.admin1)
    token = _token(client, f"/member-review/{pk}")

    response = _decide(client, pk, "fail", token, state="accepted")

    page = body(client.get(response.headers["Location"]))
    assert f"{mw.names['a3']}：已记录为未通过评价。" in _flashes(page)
    assert mw.state("a3") == "failed"
    assert 'name="action"' not in page


@pytest.mark.parametrize(
    ("state", "action", "reached"),
    [
        ("submitted", "pass", False),
        ("submitted", "register", False),
        ("accepted", "accept", True),
        ("accepted", "register", False),
        ("passed", "fail", True),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused_with_the_service_message(
    app, client, mw, own_contexts, state, action, reached
):
    """An action whose point the application has passed names who handled it; one it
    has not reached yet says that its state does not allow it (no one was first)."""
    pk = mw.ids["a1"]
    if state != "submitted":
        mw.arrange(set_state, pk, state)
    login(client, *mw.rw.admin1)
    token = _token(client, f"/member-review/{pk}")
    before = member_snapshot(app)

    response = _decide(client, pk, action, token)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/member-review/{pk}")
    message = _flashes(body(client.get(response.headers["Location"])))
    state_title = {"submitted": "已提交", "accepted": "已受理", "passed": "通过评价"}
    action_title = {"accept": "受理", "pass": "通过评价", "register": "注册", "fail": "未通过"}
    if not reached:
        assert (
            f"该申请当前为“{state_title[state]}”，不能执行“{action_title[action]}”，"
            "本次操作未执行。"
        ) in message
    else:  # set by hand: no event names who
        assert f"该申请已是“{state_title[state]}”状态，操作未执行。" in message
    assert member_snapshot(app) == before


def test_second_tab_is_told_who_decided(app, client, mw, own_contexts):
    pk = mw.ids["a1"]
    tab1, tab2 = client, app.test_client()
    login(tab1, *mw.rw.admin1)
    login(tab2, *mw.rw.admin1b)
    token1 = _token(tab1, f"/member-review/{pk}")
    token2 = _token(tab2, f"/member-review/{pk}")

    assert _decide(tab1, pk, "accept", token1, state="submitted").status_code == 302
    # The second tab still shows 已提交: its 退回 must not return the accepted one.
    response = _decide(
        tab2, pk, "return", token2, state="submitted", reason="请补充材料"
    )

    assert response.status_code == 302
    message = _flashes(body(tab2.get(response.headers["Location"])))
    match = ALREADY.search(message)
    assert match, message
    assert match.group(1) == "审核员甲REVIEWERONE（学会-超级管理员 · 电机学会REVONE）"
    assert match.group(3) == "已受理"
    assert mw.state("a1") == "accepted"
    # The same button twice: the second is refused the same way.
    message = _flashes(
        body(tab2.get(_decide(tab2, pk, "accept", token2).headers["Location"]))
    )
    assert ALREADY.search(message) and _audit(app, "member.accept", pk) == 1


# --- another society's rows, CSRF, methods ----------------------------------------------------


def test_other_societys_application_by_url_is_404_and_unchanged(
    app, client, mw, own_contexts
):
    foreign = mw.ids["b1"]
    login(client, *mw.rw.admin1)
    token = _token(client)
    before = member_snapshot(app)

    for url in (
        f"/member-review/{foreign}",
        f"/member-review/{foreign}/photo",
        "/member-review/99999999",
        f"/member-review/{mw.ids['a4']}",  # S1's own draft: not in the queue
    ):
        assert client.get(url).status_code == 404, url
    for action in members.BACKEND_ACTIONS:
        response = _decide(client, foreign, action, token, reason="原因")
        assert response.status_code == 404
        assert mw.names["b1"] not in body(response)
    for action in ("accept", "pass", "register"):
        for rowids in (
            [str(foreign)],
            [str(mw.ids["a1"]), str(foreign)],
            [str(mw.ids["a1"]), "abc"],
        ):
            response = client.post(
                "/member-review/bulk",
                data={"csrf_token": token, "action": action, "rowid": rowids},
            )
            assert response.status_code == 404, rowids
    assert member_snapshot(app) == before
    # S2's own super-admin reaches it.
    login(client, *mw.rw.admin2)
    assert client.get(f"/member-review/{foreign}").status_code == 200


def test_posts_need_the_csrf_token_and_post(app, client, mw, own_contexts):
    pk = mw.ids["a1"]
    login(client, *mw.rw.admin1)
    before = member_snapshot(app)
    for url, data in (
        (f"/member-review/{pk}/decide", lambda: {"action": "accept"}),
        ("/member-review/bulk", lambda: {"action": "accept", "rowid": [str(pk)]}),
        ("/member-import/", lambda: {"file": (io.BytesIO(b"x"), "r.xlsx")}),
        ("/member-import/apply", lambda: {"plan": "member_import/ab/ab" + "0" * 30}),
    ):
        for token in (None, "forged-token"):
            form = data() if token is None else {**data(), "csrf_token": token}
            assert client.post(url, data=form).status_code == 303, url
    for url in (
        f"/member-review/{pk}/decide",
        "/member-review/bulk",
        "/member-import/apply",
    ):
        assert client.get(url).status_code == 405
    token = _token(client)
    assert _decide(client, pk, "withdraw", token).status_code == 400
    assert (
        client.post(
            "/member-review/bulk",
            data={"csrf_token": token, "action": "fail", "rowid": [str(pk)]},
        ).status_code
        == 400
    )
    assert member_snapshot(app) == before


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_accept_reports_each_row(app, client, mw, own_contexts):
    a1, a2, a3 = (mw.ids[key] for key in ("a1", "a2", "a3"))
    tab2 = app.test_client()
    login(tab2, *mw.rw.admin1b)
    _decide(tab2, a2, "accept", _token(tab2, f"/member-review/{a2}"))
    login(client, *mw.rw.admin1)
    token = _token(client)

    response = client.post(
        "/member-review/bulk?state=all",
        data={
            "csrf_token": token,
            "action": "accept",
            "rowid": [str(a1), str(a2), str(a3)],
        },
    )

    page = html.unescape(body(response))
    assert response.status_code == 200
    rows = re.findall(
        r'<tr data-application-id="(\d+)" data-done="(\w+)"[^>]*>(.*?)</tr>', page, re.S
    )
    assert [(int(pk), done) for pk, done, _ in rows] == [
        (a1, "yes"),
        (a2, "no"),
        (a3, "yes"),
    ]
    assert "已受理。" in rows[0][2]
    assert ALREADY.search(rows[1][2]).group(1).startswith("审核员乙REVIEWERTWO")
    assert "所选3条申请中已处理2条。" in _flashes(page)
    assert 'href="/member-review/?state=all"' in page
    assert [mw.state(key) for key in ("a1", "a2", "a3")] == ["accepted"] * 3
    assert _audit(app, "member.accept") == 3


def test_bulk_register_gives_each_its_number(app, client, mw, own_contexts):
    for key in ("a1", "a2"):
        mw.arrange(set_state, mw.ids[key], "passed")
    login(client, *mw.rw.admin1)
    token = _token(client)

    page = html.unescape(
        body(
            client.post(
                "/member-review/bulk",
                data={
                    "csrf_token": token,
                    "action": "register",
                    "rowid": [str(mw.ids["a1"]), str(mw.ids["a2"])],
                },
            )
        )
    )

    prefix = f"{mw.rw.s1_id:03d}-P-{_year()}-"
    assert f"已注册，会员编号：{prefix}00001。" in page
    assert f"已注册，会员编号：{prefix}00002。" in page
    assert [mw.row(key).member_number for key in ("a1", "a2")] == [
        f"{prefix}00001",
        f"{prefix}00002",
    ]


def test_bulk_without_selection(app, client, mw, own_contexts):
    login(client, *mw.rw.admin1)
    token = _token(client)
    before = member_snapshot(app)
    page = body(
        client.post(
            "/member-review/bulk", data={"csrf_token": token, "action": "accept"}
        )
    )
    assert "请至少选择一条申请。" in _flashes(page)
    assert member_snapshot(app) == before


# --- the platform admin reads, never decides ------------------------------------------------------


def test_platform_admin_reads_every_society_read_only(app, client, mw, own_contexts):
    login(client, *mw.rw.platform)
    page = body(client.get("/member-review/"))
    for key in ("a1", "a9", "b1"):
        assert mw.names[key] in page
    assert 'name="rowid"' not in page and "bulk-form" not in page
    assert (
        "只读：各学会的注册工程会员申请。审核由学会-超级管理员进行。"
        in html.unescape(page)
    )
    detail = body(client.get(f"/member-review/{mw.ids['b1']}"))
    assert mw.names["b1"] in detail and 'name="action"' not in detail

    token = csrf_token(client, "/identity/choose")
    before = member_snapshot(app)
    assert _decide(client, mw.ids["b1"], "accept", token).status_code == 403
    response = client.post(
        "/member-review/bulk",
        data={"csrf_token": token, "action": "accept", "rowid": [str(mw.ids["b1"])]},
    )
    assert response.status_code == 403
    upload = {"csrf_token": token, "file": (io.BytesIO(b"x"), "r.xlsx")}
    assert client.post("/member-import/", data=upload).status_code == 403
    assert member_snapshot(app) == before


# --- the photo -----------------------------------------------------------------------------------


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (413, 626), (40, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_photo_is_served_to_whom_may_read_allows(
    app, client, world, mw, own_contexts, tmp_path
):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    data = _png()
    a1 = mw.ids["a1"]

    def keep_photo():
        key = uploads.store(data, "photo")
        with write_transaction():
            db.session.execute(
                update(MemberApplication)
                .where(MemberApplication.id == a1)
                .values(photo_key=key, photo_content_type="image/png")
            )
        channel = db.session.get(Channel, mw.rw.ent2_id)
        return world.account(
            "企业联系人PHOTO",
            "13600000055",
            IdentityKind.ENTERPRISE_CONTACT,
            channel=channel,
        )

    enterprise_contact = mw.arrange(keep_photo)
    url = f"/member-review/{a1}/photo"

    for who in (mw.rw.admin1, mw.rw.admin1b, mw.rw.platform):
        login(client, *who)
        response = client.get(url)
        assert response.status_code == 200, who
        assert response.get_data() == data and response.mimetype == "image/png"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    login(client, *mw.rw.admin2)  # another society's super-admin
    assert client.get(url).status_code == 404
    for who in (mw.rw.contact1, enterprise_contact):  # channel contacts
        login(client, *who)
        assert client.get(url).status_code == 403
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]

    # The applicant reads their own photo on the applicant site, nobody else there.
    login(client, mw.rw.applicants["a1"].account_id)
    response = client.get(f"/apply/member/{a1}/photo")
    assert response.status_code == 200 and response.get_data() == data
    assert client.get(url).status_code == 403  # no backend identity
    login(client, mw.rw.applicants["a2"].account_id)
    assert client.get(f"/apply/member/{a1}/photo").status_code == 404

    # A photo whose file is gone, and an application without a photo: 404.
    login(client, *mw.rw.admin1)
    with app.app_context():
        uploads.delete(db.session.get(MemberApplication, a1).photo_key)
    assert client.get(url).status_code == 404
    mw.arrange(set_state, mw.ids["a2"], "submitted", photo_key=None)
    assert client.get(f"/member-review/{mw.ids['a2']}/photo").status_code == 404
    page = body(client.get(f"/member-review/{mw.ids['a2']}"))
    assert "未上传照片。" in page and "/photo" not in page


# --- 评价结果导入 ------------------------------------------------------------------------------------


def _upload(client, token: str, data: bytes, name: str = "结果.xlsx"):
    return client.post(
        "/member-import/",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _dry_rows(page: str) -> list[tuple[int, str, str]]:
    """(row, valid, problem) of the dry run table."""
    found = []
    for row_no, valid, cells in re.findall(
        r'<tr data-row="(\d+)" data-valid="(\w+)"[^>]*>(.*?)</tr>', page, re.S
    ):
        problem = re.search(r'<td class="problem">(.*?)</td>', cells, re.S).group(1)
        found.append((int(row_no), valid, html.unescape(problem).strip()))
    return found


def _plan(page: str) -> str:
    return re.search(r'name="plan" type="hidden" value="([^"]+)"', page).group(1)


def test_template_has_the_chinese_headers(app, client, mw, own_contexts):
    login(client, *mw.rw.admin1)
    response = client.get("/member-import/template")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header == ["申请编号", "证件号码", "姓名", "结果", "会员编号"]
    assert book.sheetnames == ["评价结果", "填写说明"]
    # The template itself reads as an (empty) import.
    page = body(_upload(client, _token(client, "/member-import/"), response.get_data()))
    assert _field_errors(page) == {"file": ["工作簿的列名下没有数据行。"]}


def test_import_body_over_the_request_limit_gets_a_chinese_page(
    app, client, mw, own_contexts
):
    """A workbook past the 8 MB request limit is not read (its own 5 MB rule answers
    below it): a Chinese page back to the backend, nothing written."""
    login(client, *mw.rw.admin1)
    token = _token(client, "/member-import/")
    before = member_snapshot(app)

    response = _upload(client, token, b"PK" + b"\x00" * (8 * 1024 * 1024))

    page = body(response)
    assert response.status_code == 413
    assert "提交的内容超过 8 MB，未保存任何内容。请返回，换一个较小的文件再发送。" in page
    with app.test_request_context():
        home = url_for("HomeIndexView.index")
    assert f'href="{home}"' in page
    assert member_snapshot(app) == before


def test_import_dry_run_writes_nothing_then_applies_exactly_the_valid_rows(
    app, client, mw, own_contexts, tmp_path
):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    for key in ("a1", "a2", "a9"):
        mw.arrange(set_state, mw.ids[key], "accepted")
    mw.arrange(set_state, mw.ids["a3"], "passed")
    ids = mw.ids
    rows = [
        ["申请编号", "证件号码", "姓名", "结果", "会员编号"],
        [ids["a1"], "", "甲", "通过", ""],  # 2 valid
        ["", id_number_of("a2"), "乙", "未通过", ""],  # 3 valid, by ID number
        [ids["a3"], id_number_of("a3"), "丙", "注册", "S1-2026-777"],  # 4 valid
        [ids["b1"], "", "外学会", "通过", ""],  # 5 another society's, by number
        ["", id_number_of("b1"), "外学会", "通过", ""],  # 6 another society's, by ID
        [ids["a9"], "", "", "录取", ""],  # 7 not a result
        [ids["a4"], "", "", "通过", ""],  # 8 a draft: not in the queue
        [ids["a1"], "", "", "未通过", ""],  # 9 a1 again
        [ids["a9"], "", "", "注册", ""],  # 10 accepted, not passed
        [99999999, "", "", "通过", ""],  # 11 no such application
    ]
    login(client, *mw.rw.admin1)
    token = _token(client, "/member-import/")
    before = member_snapshot(app)

    response = _upload(client, token, workbook(rows))

    page = body(response)
    assert response.status_code == 200
    assert member_snapshot(app) == before  # the dry run writes nothing
    dry = _dry_rows(page)
    assert [(row, valid) for row, valid, _ in dry] == [
        (2, "yes"),
        (3, "yes"),
        (4, "yes"),
        (5, "no"),
        (6, "no"),
        (7, "no"),
        (8, "no"),
        (9, "no"),
        (10, "no"),
        (11, "no"),
    ]
    problems = {row: problem for row, _valid, problem in dry}
    assert (
        problems[5] == problems[8] == problems[11] == "您的列表中没有该申请编号的申请。"
    )
    assert problems[6] == "您的列表中没有该证件号码的申请。"
    assert problems[7] == "结果须为以下之一：通过, 未通过, 注册。"
    assert problems[9] == "该申请在前面的行中已出现。"
    assert problems[10] == "该申请当前为“已受理”状态，不能记录“注册”。"
    assert mw.names["b1"] not in page and id_number_of("b1") not in page
    assert "共10行，可导入3行，不能导入7行。尚未记录任何数据。" in page
    assert "确认导入（3行）" in page
    changes = re.findall(r'<td class="change">(.*?)</td>', page)
    assert changes[:3] == ["通过评价", "未通过", "已注册"]

    # Meanwhile a8 … no: a9 gets passed by a colleague; row 10 (注册 a9) was refused in
    # the dry run and stays refused, though it would now be valid.
    mw.arrange(set_state, ids["a9"], "passed")
    response = client.post(
        "/member-import/apply", data={"csrf_token": token, "plan": _plan(page)}
    )

    result = html.unescape(body(response))
    assert response.status_code == 200
    done = re.findall(
        r'<tr data-row="(\d+)" data-application-id="\d*" data-done="(\w+)"', result
    )
    assert [int(row) for row, flag in done if flag == "yes"] == [2, 3, 4]
    assert "共10行，已导入3行。" in _flashes(result)
    assert [mw.state(key) for key in ("a1", "a2", "a3", "a9", "b1")] == [
        "passed",
        "failed",
        "registered",
        "passed",
        "submitted",
    ]
    assert mw.row("a3").member_number == "S1-2026-777"
    assert "S1-2026-777" in result
    for action, pk in (
        ("pass", ids["a1"]),
        ("fail", ids["a2"]),
        ("register", ids["a3"]),
    ):
        assert _audit(app, f"member.{action}", pk) == 1
    assert _audit(app, "member.register", ids["a9"]) == 0
    with app.app_context():
        events = db.session.scalars(
            select(MemberEvent.action).where(MemberEvent.application_id == ids["b1"])
        ).all()
    assert events == ["start", "submit"]

    # The plan is used once.
    response = client.post(
        "/member-import/apply", data={"csrf_token": token, "plan": _plan(page)}
    )
    assert response.status_code == 302
    message = _flashes(body(client.get(response.headers["Location"])))
    assert "该预览已导入或已过期，请重新上传文件。" in message
    assert not list(tmp_path.rglob("member_import/*/*"))


def test_import_row_decided_between_dry_run_and_confirm(
    app, client, mw, own_contexts, tmp_path
):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    mw.arrange(set_state, mw.ids["a1"], "accepted")
    mw.arrange(set_state, mw.ids["a2"], "accepted")
    login(client, *mw.rw.admin1)
    token = _token(client, "/member-import/")
    page = body(
        _upload(
            client,
            token,
            workbook(
                [["申请编号", "结果"], [mw.ids["a1"], "通过"], [mw.ids["a2"], "通过"]]
            ),
        )
    )
    tab2 = app.test_client()
    login(tab2, *mw.rw.admin1b)
    _decide(tab2, mw.ids["a2"], "fail", _token(tab2, f"/member-review/{mw.ids['a2']}"))

    result = html.unescape(
        body(
            client.post(
                "/member-import/apply", data={"csrf_token": token, "plan": _plan(page)}
            )
        )
    )

    rows = re.findall(
        r'<tr data-row="(\d+)"[^>]*data-done="(\w+)"[^>]*>(.*?)</tr>', result, re.S
    )
    assert [(int(row), flag) for row, flag, _ in rows] == [(2, "yes"), (3, "no")]
    assert ALREADY.search(rows[1][2]).group(3) == "未通过"
    assert [mw.state(key) for key in ("a1", "a2")] == ["passed", "failed"]


def test_a_plan_belongs_to_its_session_and_identity(
    app, client, mw, own_contexts, tmp_path
):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    mw.arrange(set_state, mw.ids["a1"], "accepted")
    login(client, *mw.rw.admin1)
    token = _token(client, "/member-import/")
    plan = _plan(
        body(
            _upload(
                client, token, workbook([["申请编号", "结果"], [mw.ids["a1"], "通过"]])
            )
        )
    )
    before = member_snapshot(app)

    # A colleague of the same society, in another session, with the key.
    other = app.test_client()
    login(other, *mw.rw.admin1b)
    response = other.post(
        "/member-import/apply",
        data={"csrf_token": _token(other, "/member-import/"), "plan": plan},
    )
    assert response.status_code == 302
    # S2's super-admin who somehow has the same session's list: the plan is not theirs.
    with client.session_transaction() as session:
        session["identity_id"] = mw.rw.admin2[1]
        session["_user_id"] = str(mw.rw.admin2[0])
    response = client.post(
        "/member-import/apply", data={"csrf_token": token, "plan": plan}
    )
    assert response.status_code == 302
    assert member_snapshot(app) == before

    # Cancel forgets it.
    login(client, *mw.rw.admin1)
    page = body(
        _upload(client, token, workbook([["申请编号", "结果"], [mw.ids["a1"], "通过"]]))
    )
    response = client.post(
        "/member-import/cancel", data={"csrf_token": token, "plan": _plan(page)}
    )
    assert "未导入任何数据。" in _flashes(
        body(client.get(response.headers["Location"]))
    )
    response = client.post(
        "/member-import/apply", data={"csrf_token": token, "plan": _plan(page)}
    )
    assert response.status_code == 302 and member_snapshot(app) == before


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "结果.xlsx",
            "该文件不是Excel工作簿（.xlsx）。",
        ),
        (
            "申请编号,结果\n1,通过\n".encode(),
            "结果.xlsx",
            "该文件不是Excel工作簿（.xlsx）。",
        ),
        (
            None,
            "结果.docx",
            "该文件不是Excel工作簿（.xlsx）。",
        ),  # a zip, not a workbook
        (b"", "", "请选择要上传的工作簿。"),
    ],
    ids=["xls", "csv-named-xlsx", "zip", "none"],
)
def test_a_file_that_is_not_a_workbook_is_refused(
    app, client, mw, own_contexts, tmp_path, content, name, message
):
    import zipfile

    app.config["UPLOAD_DIR"] = str(tmp_path)
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("word/document.xml", "<w/>")
            archive.writestr("[Content_Types].xml", "<Types/>")
        content = buffer.getvalue()
    login(client, *mw.rw.admin1)
    before = member_snapshot(app)
    page = body(_upload(client, _token(client, "/member-import/"), content, name))
    assert _field_errors(page) == {"file": [message]}
    assert member_snapshot(app) == before
    assert not list(tmp_path.rglob("member_import/*/*"))


def test_too_many_rows_are_refused(
    app, client, mw, own_contexts, monkeypatch, tmp_path
):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    monkeypatch.setattr(members, "IMPORT_MAX_ROWS", 3)
    login(client, *mw.rw.admin1)
    rows = [["申请编号", "结果"]] + [[mw.ids["a1"], "通过"]] * 4
    page = body(_upload(client, _token(client, "/member-import/"), workbook(rows)))
    assert _field_errors(page) == {"file": ["每次最多导入3行。"]}
    rows = [["姓名", "结果"], ["甲", "通过"]]
    page = body(_upload(client, _token(client, "/member-import/"), workbook(rows)))
    assert _field_errors(page) == {
        "file": ["第一行须为列名：申请编号或证件号码，以及结果。"]
    }


# --- 工程能力评价人员总览: the member columns per identity ---------------------------------------------


def _stages(page: str, prospective_id: int) -> dict[str, str]:
    row = re.search(rf'<tr data-id="{prospective_id}">(.*?)</tr>', page, re.S)
    if row is None:
        return {}
    return {
        stage: "是" if text.startswith("是") else "否"
        for stage, text in re.findall(
            r'<td class="stage" data-stage="(\w+)">(.*?)</td>', row.group(1), re.S
        )
    }


def test_overview_columns_follow_each_decision_per_identity(
    app, client, world, mw, own_contexts
):
    def contacts():
        ent2 = db.session.get(Channel, mw.rw.ent2_id)
        enterprise = world.account(
            "企业联系人OVERVIEW",
            "13600000056",
            IdentityKind.ENTERPRISE_CONTACT,
            channel=ent2,
        )
        return enterprise

    enterprise = mw.arrange(contacts)
    a9, a1 = mw.prospective["a9"], mw.prospective["a1"]
    viewer = app.test_client()
    admin = client
    login(admin, *mw.rw.admin1)
    token = _token(admin, f"/member-review/{mw.ids['a9']}")

    def seen(identity_pair, prospective_id):
        login(viewer, *identity_pair)
        return _stages(body(viewer.get("/assessment-overview/")), prospective_id)

    no = {"applied": "否", "accepted": "否", "passed": "否", "registered": "否"}
    assert seen(enterprise, a9) == {**no, "applied": "是"}
    for action, stage in (
        ("accept", "accepted"),
        ("pass", "passed"),
        ("register", "registered"),
    ):
        assert _decide(admin, mw.ids["a9"], action, token).status_code == 302
        shown = seen(enterprise, a9)
        assert shown[stage] == "是", (action, shown)
    assert seen(enterprise, a9) == {stage: "是" for stage in no}
    # The dates are shown with the yes; the enterprise sees only its own applicant.
    login(viewer, *enterprise)
    page = body(viewer.get("/assessment-overview/"))
    today = dt.datetime.now(LOCAL_ZONE).strftime("%Y-%m-%d")
    assert page.count(f'<small class="text-muted">{today}') == 4
    assert _stages(page, a1) == {}

    # Other identities: S1's society contact sees a1 (through S1's own channel), not a9;
    # the super-admin and the platform admin see both.
    assert seen(mw.rw.contact1, a1) == {**no, "applied": "是"}
    assert seen(mw.rw.contact1, a9) == {}
    for who in (mw.rw.admin1, mw.rw.platform):
        assert seen(who, a9) == {stage: "是" for stage in no}
        assert seen(who, a1)["applied"] == "是"

    # Filters per column, and the export of the filtered rows.
    login(viewer, *mw.rw.platform)
    page = body(viewer.get("/assessment-overview/?registered=yes"))
    assert _stages(page, a9) and not _stages(page, a1)
    page = body(viewer.get("/assessment-overview/?applied=yes&accepted=no"))
    assert _stages(page, a1) and not _stages(page, a9)
    login(viewer, *enterprise)
    export = viewer.post(
        "/assessment-overview/export",
        data={
            "csrf_token": _token(viewer, "/assessment-overview/"),
            "registered": "yes",
        },
    )
    assert export.status_code == 200 and export.mimetype == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(export.get_data())).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(row for row in values if row and "是否注册" in row)
    data_rows = values[values.index(header) + 1 :]
    assert len(data_rows) == 1
    line = dict(zip(header, data_rows[0], strict=False))
    assert [
        line[title]
        for title in ("是否提交申请", "是否被受理", "是否通过评价", "是否注册")
    ] == ["是"] * 4


# --- the identity × endpoint matrix, as a society super-admin ------------------------------------------


def test_no_route_reaches_a_foreign_row_as_super_admin(
    app, client, world, scoping_world, own_contexts, monkeypatch
):
    """tests/views/test_scoping.py's probe over every route of app.url_map, as the
    super-admin of the member world's S1 (whose queue holds a1): the member routes get
    S2's member application, S1's draft and malformed ids; the member tables are
    watched as well."""
    from tests.views import test_scoping
    from tests.views.test_scoping import BAD_PKS, Probe, Viewer, run_matrix

    w = scoping_world
    with app.app_context():
        mw = Arranged.__new__(Arranged)
        mw.app = app
        mw.w = build_world(world)
        mw.rw = mw.w.rw
        own = submitted(mw.w, "a1").id
        foreign = [submitted(mw.w, "b1").id, opened(mw.w, "a4").id]
        db.session.commit()
    original = test_scoping._pks

    def pks(viewer, world_, view):
        if view == "MemberReviewView":
            return foreign + BAD_PKS
        return original(viewer, world_, view)

    monkeypatch.setattr(test_scoping, "_pks", pks)
    monkeypatch.setattr(
        test_scoping,
        "SNAPSHOT_TABLES",
        test_scoping.SNAPSHOT_TABLES
        + ("member_applications", "member_events", "member_number_sequences"),
    )
    orgs = (w.a, w.a2, w.b, w.b2, w.c, w.c2)
    viewer = Viewer(
        name="society super-admin of the member world's S1",
        account_id=mw.rw.admin1[0],
        identity_id=mw.rw.admin1[1],
        forbidden=[mw.rw.s2_name, w.s1_name, w.s2_name]
        + [text for org in orgs for text in org.secrets()],
        channels=[org.channel_id for org in orgs] + [w.s1_root_id, w.s2_root_id],
        projects=[pk for org in orgs for pk in org.all_project_ids],
        codes=[pk for org in orgs for pk in org.code_ids],
        contacts=[(w.c.channel_id, w.c.contact_account_id)],
        identities=[w.c.contact_identity_id, w.s2_contact[1]],
        accounts=[w.c.contact_account_id, w.s2_contact[0]],
    )
    probe = Probe(app, client, viewer)
    probe.refresh_token()
    queue = probe.send("GET", "/member-review/", strict=False)
    assert f'data-application-id="{own}"' in body(queue)

    run_matrix(probe, app, w)

    assert probe.count > 500
    assert not probe.problems, (
        f"{len(probe.problems)} of {probe.count} requests broke scoping:\n"
        + "\n".join(probe.problems)
    )
