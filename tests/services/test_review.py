"""学会审核 (app/services/reviews.py): who may decide which application, the state
machine's refusals with their Chinese messages, the member application permission,
notices in 消息中心 and through the outbox, bulk decisions, the queue's filters and ages,
the society's reason texts, and two tabs deciding at once (threads, both databases)."""

import datetime as dt
import logging
import threading

import pytest
from sqlalchemy import func, select, update

from app.db import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import (
    Account,
    ApplicationEvent,
    AuditEntry,
    Channel,
    Message,
    OutboxMessage,
    Project,
    ProspectiveApplication,
    ReferralCode,
)
from app.services import applications, reviews
from tests.services.review_support import (
    application,
    build,
    identity,
    snapshot,
    text_of,
)

ALREADY = "该申请已由{who}于{when}处理（{state}），本次操作未执行。"


@pytest.fixture
def w(app, world):
    return build(world)


def _decision_events(application_id: int) -> list[ApplicationEvent]:
    db.session.rollback()
    return db.session.scalars(
        select(ApplicationEvent)
        .where(
            ApplicationEvent.application_id == application_id,
            ApplicationEvent.to_state.in_(
                ["approved", "returned", "rejected", "withdrawn"]
            ),
        )
        .order_by(ApplicationEvent.id)
    ).all()


def _refusal(call) -> reviews.ReviewError:
    with pytest.raises(reviews.ReviewError) as caught:
        call()
    return caught.value


def _set_state(application_id: int, state: str, **values) -> None:
    with write_transaction():
        db.session.execute(
            update(ProspectiveApplication)
            .where(ProspectiveApplication.id == application_id)
            .values(state=state, **values)
            .execution_options(synchronize_session=False)
        )


# --- the state machine, action by state ------------------------------------------------

STATES = ["submitted", "approved", "returned", "rejected", "withdrawn"]


@pytest.mark.parametrize("action", reviews.DECISIONS)
@pytest.mark.parametrize("state", STATES)
def test_decision_only_from_submitted(w, action, state):
    a = w.applicants["a1"]
    if state != "submitted":
        _set_state(a.application_id, state)
    admin = identity(w.admin1[1])
    before = _decision_events(a.application_id)

    if state == "submitted":
        reviews.decide(admin, a.application_id, action, "材料不完整")
        expected = {"approve": "approved", "return": "returned", "reject": "rejected"}[
            action
        ]
        assert application(a.application_id).state == expected
        assert len(_decision_events(a.application_id)) == len(before) + 1
    else:
        error = _refusal(
            lambda: reviews.decide(admin, a.application_id, action, "材料不完整")
        )
        # No event says who decided (the state was set by hand): the plain message.
        title = text_of(application(a.application_id).state_title)
        assert text_of(error.message) == f"该申请已是“{title}”状态，操作未执行。"
        assert application(a.application_id).state == state
        assert _decision_events(a.application_id) == before


def test_approving_a_withdrawn_application_names_the_applicant(w, app):
    a = w.applicants["a1"]
    applications.transition(
        application(a.application_id), "withdraw", actor_id=a.account_id
    )
    event = _decision_events(a.application_id)[-1]
    # Registered by e-mail: the account's name is the e-mail's first part; the
    # applicant is named by the name on the application.
    with write_transaction():
        account = db.session.get(Account, a.account_id)
        account.first_name, account.last_name = "lvqiang", ""
    before = snapshot(app)

    error = _refusal(
        lambda: reviews.decide(identity(w.admin1[1]), a.application_id, "approve")
    )

    when = _local(event.at)
    assert text_of(error.message) == ALREADY.format(
        who=f"{application(a.application_id).name}（申请人）", when=when, state="已撤回"
    )
    assert "lvqiang" not in text_of(error.message)
    assert snapshot(app) == before


def _local(at: dt.datetime) -> str:
    return (at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def test_a_super_admin_never_decides_their_own_application(w, app):
    a = w.applicants["a1"]
    admin = identity(w.admin1[1])
    with write_transaction():
        db.session.execute(
            update(ProspectiveApplication)
            .where(ProspectiveApplication.id == a.application_id)
            .values(applicant_id=admin.account_id)
        )
    before = snapshot(app)

    error = _refusal(lambda: reviews.decide(admin, a.application_id, "approve"))

    assert (
        text_of(error.message) == "不能办理本人的申请，请由本学会的其他超级管理员办理。"
    )
    assert reviews.is_decidable(admin, application(a.application_id)) is False
    assert reviews.is_decidable(identity(w.admin1b[1]), application(a.application_id))
    assert snapshot(app) == before


def test_second_decision_says_who_decided_and_when(w):
    """Two tabs (two super-admins of the same society): the second is refused with the
    first one's name, identity and time; the history holds one decision."""
    a = w.applicants["a2"]
    tab1, tab2 = identity(w.admin1[1]), identity(w.admin1b[1])
    loaded = application(a.application_id)  # both tabs show the submitted application
    assert reviews.application_for(tab2, a.application_id).state == "submitted"

    reviews.decide(tab1, loaded.id, "approve")
    error = _refusal(lambda: reviews.decide(tab2, loaded.id, "reject", "不符合条件"))

    event = _decision_events(a.application_id)[-1]
    assert text_of(error.message) == ALREADY.format(
        who="审核员甲REVIEWERONE（学会-超级管理员 · 电机学会REVONE）",
        when=_local(event.at),
        state="审核通过",
    )
    assert [
        (e.to_state, e.actor_id, e.identity_id)
        for e in _decision_events(a.application_id)
    ] == [("approved", w.admin1[0], w.admin1[1])]


# --- reasons --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason", [None, "", "   \r\n  "], ids=["none", "empty", "blank"]
)
@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_need_a_reason(w, app, action, reason):
    a = w.applicants["a1"]
    before = snapshot(app)

    with pytest.raises(DomainError) as caught:
        reviews.decide(identity(w.admin1[1]), a.application_id, action, reason)

    assert caught.value.field == "reason"
    assert text_of(caught.value.message) == "请填写原因。"
    assert snapshot(app) == before


def test_reason_at_most_500_characters(w, app):
    a = w.applicants["a1"]
    before = snapshot(app)
    with pytest.raises(DomainError) as caught:
        reviews.decide(identity(w.admin1[1]), a.application_id, "reject", "𠀋" * 501)
    assert (caught.value.field, text_of(caught.value.message)) == (
        "reason",
        "原因最多500个字符。",
    )
    assert snapshot(app) == before
    reviews.decide(identity(w.admin1[1]), a.application_id, "reject", "𠀋" * 500)
    assert _decision_events(a.application_id)[-1].reason == "𠀋" * 500


@pytest.mark.parametrize("reason", ["\x00\x01\x1b\u200b", "材料\x07不全\x1b[31m红\u202e反转"])
def test_reason_with_hidden_characters_is_refused_single_bulk_and_kept_texts(w, app, reason):
    a = w.applicants["a1"]
    admin = identity(w.admin1[1])
    before = snapshot(app)
    hidden = "此处不能包含控制字符或不可见的格式字符。"

    for attempt in (
        lambda: reviews.decide(admin, a.application_id, "return", reason),
        lambda: reviews.decide_many(admin, [a.application_id], "return", reason),
        lambda: reviews.create_reason(admin, reason),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert text_of(caught.value.message) == hidden
        assert caught.value.field in ("reason", "text")
    assert snapshot(app) == before


def test_approve_takes_an_optional_reason(w):
    a = w.applicants["a1"]
    reviews.decide(identity(w.admin1[1]), a.application_id, "approve")
    assert _decision_events(a.application_id)[-1].reason is None


# --- who may decide which application ----------------------------------------------------


@pytest.mark.parametrize("action", reviews.DECISIONS)
def test_other_societys_application_is_not_in_the_queue(w, app, action):
    admin = identity(w.admin1[1])
    before = snapshot(app)
    for target in [*w.ids("s2"), 0, -1, "abc", "1 OR 1=1", 2**40, None]:
        with pytest.raises(reviews.NotInQueue):
            reviews.decide(admin, target, action, "原因")
    assert snapshot(app) == before
    # The other society's super-admin decides its own.
    reviews.decide(
        identity(w.admin2[1]), w.applicants["b1"].application_id, action, "原因"
    )


def test_only_a_society_super_admin_decides(w, app):
    a = w.applicants["a1"]
    before = snapshot(app)
    for who in (w.platform, w.contact1):
        with pytest.raises(reviews.DecisionForbidden):
            reviews.decide(identity(who[1]), a.application_id, "approve")
        with pytest.raises(reviews.DecisionForbidden):
            reviews.decide_many(identity(who[1]), [a.application_id], "approve")
    assert snapshot(app) == before
    assert reviews.can_view_queue(identity(w.platform[1]))
    assert not reviews.can_view_queue(identity(w.contact1[1]))


def test_drafts_never_reach_the_queue(w, world):
    from app.services import accounts

    with write_transaction():
        account_id = accounts.create_account(
            name="草稿人",
            email="draft@example.com",
            mobile="13922223333",
            password="x-pass-123",
        ).id
    draft = applications.save_draft(
        account_id,
        {
            "route": "society",
            "name": "草稿人DRAFTONLY",
            "assessing_society_id": str(w.s1_id),
            "field_id": str(w.elec_field_id),
        },
    )
    admin = identity(w.admin1[1])
    with pytest.raises(reviews.NotInQueue):
        reviews.application_for(admin, draft.id)
    names = [
        row.application.name
        for row in reviews.queue_page(
            admin, reviews.read_filters({"state": "all"}, admin), 1, 50
        ).rows
    ]
    assert "草稿人DRAFTONLY" not in names


# --- the member application permission -----------------------------------------------


def test_approval_opens_the_member_application_at_the_level_asked(w):
    a2 = w.applicants["a2"]  # senior, through S2's enterprise, addressed to S1
    assert applications.member_permission(a2.account_id) is None
    assert not applications.has_member_permission(a2.account_id)

    reviews.decide(identity(w.admin1[1]), a2.application_id, "approve")

    permission = applications.member_permission(a2.account_id)
    assert (permission.society_id, permission.society_name, permission.level) == (
        w.s1_id,
        w.s1_name,
        "senior",
    )
    assert text_of(permission.level_title) == "资深工程会员"
    assert applications.has_member_permission(a2.account_id)


@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_open_nothing(w, action):
    a = w.applicants["a1"]
    reviews.decide(
        identity(w.admin1[1]), a.application_id, action, "请补充工程实践经历"
    )
    assert applications.member_permission(a.account_id) is None
    assert not applications.has_member_permission(a.account_id)


# --- notices: 消息中心, SMS and e-mail through the outbox, and the logs -----------------


def _messages(account_id: int) -> list[Message]:
    db.session.rollback()
    return db.session.scalars(
        select(Message).where(Message.account_id == account_id).order_by(Message.id)
    ).all()


def _outbox(recipient: str) -> list[OutboxMessage]:
    db.session.rollback()
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    ).all()


@pytest.mark.parametrize(
    ("action", "reason", "title", "body"),
    [
        (
            "approve",
            None,
            "您的申请已审核通过",
            "您的申请已审核通过。已为您开通注册工程会员申请权限：电机学会REVONE，专业工程会员。请在申请人评价系统首页进入“注册工程会员申请”。",
        ),
        (
            "return",
            "请补充项目业绩证明",
            "您的申请已退回修改",
            "您的申请已退回修改。原因：请补充项目业绩证明",
        ),
        (
            "reject",
            "工程实践经历不符合要求",
            "您的申请未通过审核",
            "您的申请未通过审核。原因：工程实践经历不符合要求",
        ),
    ],
    ids=["approve", "return", "reject"],
)
def test_applicant_is_told_in_the_message_centre_by_sms_and_email(
    w, caplog, action, reason, title, body
):
    a = w.applicants["a1"]
    sms_before, mail_before = len(_outbox(a.mobile)), len(_outbox(a.email))
    caplog.set_level(logging.INFO)

    reviews.decide(identity(w.admin1[1]), a.application_id, action, reason)

    message = _messages(a.account_id)[-1]
    assert (message.title, message.body) == (title, body)
    sms, mail = _outbox(a.mobile), _outbox(a.email)
    assert len(sms) == sms_before + 1 and len(mail) == mail_before + 1
    assert sms[-1].channel == "sms" and sms[-1].body == f"【工程能力评价】{body}"
    assert (mail[-1].channel, mail[-1].subject, mail[-1].body) == (
        "email",
        f"【工程能力评价】{title}",
        body,
    )
    assert {row.state for row in (sms[-1], mail[-1])} == {
        "sent"
    }  # the outbox sender kept them
    # The operator log says who decided which application, never the mobile, the address
    # or the reason the applicant reads.
    log = "\n".join(record.getMessage() for record in caplog.records)
    assert (
        f"application {a.application_id} {action} by account {w.admin1[0]} as identity {w.admin1[1]}"
        in log
    )
    for secret in (a.mobile, a.email, a.name, reason or "电机学会REVONE"):
        assert secret not in log


def test_decision_is_audited(w):
    a = w.applicants["a1"]
    reviews.decide(identity(w.admin1[1]), a.application_id, "return", "请补充")
    db.session.rollback()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "application.return")
    ).one()
    assert (entry.actor_id, entry.identity_id, entry.target_type, entry.target_id) == (
        w.admin1[0],
        w.admin1[1],
        "prospective_applications",
        a.application_id,
    )
    assert (entry.before, entry.after) == (
        {"state": "submitted"},
        {"state": "returned", "reason": "请补充"},
    )


# --- bulk ---------------------------------------------------------------------------


def test_bulk_reports_each_row(w):
    a1, a2, a3 = (w.applicants[key] for key in ("a1", "a2", "a3"))
    admin, other = identity(w.admin1[1]), identity(w.admin1b[1])
    reviews.decide(other, a2.application_id, "reject", "不符合")  # decided earlier
    applications.transition(
        application(a3.application_id), "withdraw", actor_id=a3.account_id
    )

    lines = reviews.decide_many(
        admin,
        [
            str(a1.application_id),
            str(a2.application_id),
            str(a3.application_id),
            str(a1.application_id),
        ],
        "approve",
    )

    assert [(line.application_id, line.done) for line in lines] == [
        (a1.application_id, True),
        (a2.application_id, False),
        (a3.application_id, False),
    ]
    assert text_of(lines[0].message) == "已通过，已为申请人开通注册工程会员申请权限。"
    assert (
        lines[1].message.startswith(
            "该申请已由审核员乙REVIEWERTWO（学会-超级管理员 · 电机学会REVONE）于"
        )
        and "（审核不通过）" in lines[1].message
    )
    assert "（申请人）" in lines[2].message and "（已撤回）" in lines[2].message
    assert [application(item.application_id).state for item in (a1, a2, a3)] == [
        "approved",
        "rejected",
        "withdrawn",
    ]
    assert len(_decision_events(a1.application_id)) == 1


def test_bulk_with_a_foreign_row_changes_nothing(w, app):
    admin = identity(w.admin1[1])
    before = snapshot(app)
    for foreign in (w.applicants["b1"].application_id, "abc", 999999):
        with pytest.raises(reviews.NotInQueue):
            reviews.decide_many(
                admin, [w.applicants["a1"].application_id, foreign], "approve"
            )
        with pytest.raises(reviews.NotInQueue):
            reviews.decide_many(
                admin, [foreign, w.applicants["a1"].application_id], "return", "原因"
            )
    assert snapshot(app) == before


def test_bulk_return_needs_a_reason_and_offers_no_reject(w, app):
    admin = identity(w.admin1[1])
    ids = w.ids("s1")
    before = snapshot(app)
    error = _refusal(lambda: reviews.decide_many(admin, ids, "return", " "))
    assert (error.field, text_of(error.message)) == ("reason", "请填写原因。")
    error = _refusal(lambda: reviews.decide_many(admin, ids, "reject", "原因"))
    assert text_of(error.message) == "该操作不存在。"
    error = _refusal(lambda: reviews.decide_many(admin, [], "approve"))
    assert text_of(error.message) == "请至少选择一条申请。"
    error = _refusal(
        lambda: reviews.decide_many(admin, [str(n) for n in range(1, 102)], "approve")
    )
    assert text_of(error.message) == "一次最多选择100条申请。"
    assert snapshot(app) == before

    lines = reviews.decide_many(admin, ids, "return", "请补充证明材料")
    assert all(line.done for line in lines) and len(lines) == 3
    assert {application(pk).state for pk in ids} == {"returned"}


# --- the queue: filters, ages, figures --------------------------------------------------


def _names(admin, args: dict) -> list[str]:
    filters = reviews.read_filters(args, admin)
    return [
        row.application.name for row in reviews.queue_page(admin, filters, 1, 50).rows
    ]


def test_queue_holds_the_societys_applications_oldest_first(w):
    admin = identity(w.admin1[1])
    _set_state(
        w.applicants["a3"].application_id,
        "submitted",
        submitted_at=dt.datetime(2026, 1, 1),
    )
    assert _names(admin, {}) == [
        "丙申请人CHARLIETHREE",
        "甲申请人ALPHAONE",
        "乙申请人BRAVOTWO",
    ]
    assert _names(identity(w.admin2[1]), {}) == [
        "丁申请人DELTAFOUR",
        "戊申请人ECHOFIVE",
    ]
    # The platform admin reads every society's queue.
    assert len(_names(identity(w.platform[1]), {})) == 5
    assert _names(identity(w.contact1[1]), {}) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"name": "乙申请人"}, ["乙申请人BRAVOTWO"]),
        ({"name": "%"}, []),
        ({"mobile": "13911110002"}, ["丙申请人CHARLIETHREE"]),
        (
            {"mobile": "1391111"},
            ["甲申请人ALPHAONE", "乙申请人BRAVOTWO", "丙申请人CHARLIETHREE"],
        ),
        ({"level": "senior"}, ["乙申请人BRAVOTWO"]),
        ({"route": "enterprise"}, ["乙申请人BRAVOTWO"]),
        ({"route": "society"}, ["甲申请人ALPHAONE", "丙申请人CHARLIETHREE"]),
        ({"channel": "中建八局"}, ["乙申请人BRAVOTWO"]),
        ({"state": "approved"}, []),
    ],
    ids=[
        "name",
        "name-wildcard",
        "mobile",
        "mobile-prefix",
        "level",
        "route-enterprise",
        "route-society",
        "channel",
        "state",
    ],
)
def test_queue_filters(w, args, expected):
    admin = identity(w.admin1[1])
    assert _names(admin, args) == expected
    assert reviews.read_filters(args, admin).errors == {}


def test_field_filter_offers_the_societys_fields_only(w):
    admin = identity(w.admin1[1])
    assert [item.id for item in reviews.field_options(admin)] == [w.elec_field_id]
    assert len(_names(admin, {"field": str(w.elec_field_id)})) == 3
    filters = reviews.read_filters({"field": str(w.civil_field_id)}, admin)
    assert text_of(filters.errors["field"]) == "请从列表中选择领域。"
    assert (
        filters.field_id is None
        and len(_names(admin, {"field": str(w.civil_field_id)})) == 3
    )


@pytest.mark.parametrize(
    ("args", "key", "message"),
    [
        ({"level": "trainee"}, "level", "请从列表中选择级别。"),
        ({"state": "draft"}, "state", "请从列表中选择状态。"),
        ({"route": "school"}, "route", "请从列表中选择推荐途径。"),
        ({"mobile": "139-1111"}, "mobile", "手机号筛选只能填写数字。"),
        ({"from": "2026-13-01"}, "from", "请按YYYY-MM-DD格式填写日期。"),
        ({"to": "yesterday"}, "to", "请按YYYY-MM-DD格式填写日期。"),
        (
            {"from": "2026-03-05", "to": "2026-03-04"},
            "to",
            "结束日期不能早于开始日期。",
        ),
        ({"overdue": "yes"}, "overdue", "请从列表中选择。"),
        ({"society": "1"}, "society", "请从列表中选择学会。"),
    ],
    ids=[
        "level",
        "state",
        "route",
        "mobile",
        "date-from",
        "date-to",
        "end-before-start",
        "overdue",
        "society",
    ],
)
def test_filters_not_offered_are_refused_and_not_applied(w, args, key, message):
    admin = identity(w.admin1[1])
    filters = reviews.read_filters(args, admin)
    assert {k: text_of(v) for k, v in filters.errors.items()} == {key: message}
    # Nothing of it was applied: the default queue (submitted, all of the society's).
    assert len(_names(admin, args)) == 3


def test_unknown_parameters_are_listed_and_ignored(w):
    admin = identity(w.admin1[1])
    args = {
        "_flt_0_channel_id": str(w.ent2_id),
        "society_id": str(w.s2_id),
        "name": "甲",
    }
    filters = reviews.read_filters(args, admin)
    assert filters.ignored == ["_flt_0_channel_id", "society_id"]
    assert _names(admin, args) == ["甲申请人ALPHAONE"]


def test_submitted_date_range_in_beijing_time(w):
    admin = identity(w.admin1[1])
    a1, a2, a3 = (w.applicants[key].application_id for key in ("a1", "a2", "a3"))
    # 2026-03-01 23:30 Beijing time is 15:30 UTC; 2026-03-02 00:30 is 16:30 UTC (the day before).
    _set_state(a1, "submitted", submitted_at=dt.datetime(2026, 3, 1, 15, 30))
    _set_state(a2, "submitted", submitted_at=dt.datetime(2026, 3, 1, 16, 30))
    _set_state(a3, "submitted", submitted_at=dt.datetime(2026, 3, 3, 2, 0))
    assert _names(admin, {"from": "2026-03-01", "to": "2026-03-01"}) == [
        "甲申请人ALPHAONE"
    ]
    assert _names(admin, {"from": "2026-03-02"}) == [
        "乙申请人BRAVOTWO",
        "丙申请人CHARLIETHREE",
    ]
    assert _names(admin, {"to": "2026-03-02"}) == [
        "甲申请人ALPHAONE",
        "乙申请人BRAVOTWO",
    ]
    assert _names(admin, {"from": "2026-03-03", "to": "2026-03-03"}) == [
        "丙申请人CHARLIETHREE"
    ]


def test_age_and_overdue_follow_the_configured_days(w, app):
    admin = identity(w.admin1[1])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    a1, a2 = w.applicants["a1"].application_id, w.applicants["a2"].application_id
    _set_state(a1, "submitted", submitted_at=now - dt.timedelta(days=7, hours=1))
    _set_state(a2, "submitted", submitted_at=now - dt.timedelta(days=6, hours=23))

    rows = {
        row.application.id: row
        for row in reviews.queue_page(
            admin, reviews.read_filters({}, admin), 1, 50
        ).rows
    }
    assert (rows[a1].waiting_days, rows[a1].overdue) == (7, True)
    assert (rows[a2].waiting_days, rows[a2].overdue) == (6, False)
    assert _names(admin, {"overdue": "1"}) == ["甲申请人ALPHAONE"]
    summary = reviews.queue_summary(admin)
    assert (summary.waiting, summary.overdue, summary.overdue_days) == (3, 1, 7)

    app.config["REVIEW_OVERDUE_DAYS"] = 3
    assert reviews.queue_summary(admin).overdue == 2
    assert reviews.queue_summary(identity(w.platform[1])) is None
    # A decided application has no age.
    reviews.decide(admin, a1, "approve")
    assert reviews.waiting_days(application(a1)) is None and not reviews.is_overdue(
        application(a1)
    )


# --- 常用理由 -----------------------------------------------------------------------------


def test_reason_texts_belong_to_one_society(w, app):
    admin1, admin2 = identity(w.admin1[1]), identity(w.admin2[1])
    first = reviews.create_reason(admin1, "  请补充项目业绩证明  ")
    second = reviews.create_reason(admin1, "工程实践经历字数不足")
    theirs = reviews.create_reason(admin2, "请补充项目业绩证明")

    assert [row.text for row in reviews.reasons(admin1)] == [
        "请补充项目业绩证明",
        "工程实践经历字数不足",
    ]
    assert [row.text for row in reviews.reasons(admin2)] == ["请补充项目业绩证明"]
    assert reviews.reasons(identity(w.platform[1])) == []

    error = _refusal(lambda: reviews.create_reason(admin1, "请补充项目业绩证明"))
    assert (error.field, text_of(error.message)) == (
        "text",
        "本学会已有相同的常用理由。",
    )
    error = _refusal(lambda: reviews.create_reason(admin1, " \n "))
    assert (error.field, text_of(error.message)) == ("text", "请填写理由内容。")
    error = _refusal(
        lambda: reviews.update_reason(admin1, second.id, "请补充项目业绩证明")
    )
    assert text_of(error.message) == "本学会已有相同的常用理由。"
    error = _refusal(lambda: reviews.create_reason(admin1, "长" * 501))
    assert text_of(error.message) == "最多500个字（当前501个）。"

    before = snapshot(app)
    for call in (
        lambda: reviews.update_reason(admin1, theirs.id, "改掉"),
        lambda: reviews.delete_reason(admin1, theirs.id),
        lambda: reviews.reason_for(admin1, "abc"),
    ):
        with pytest.raises(reviews.NotInQueue):
            call()
    with pytest.raises(reviews.DecisionForbidden):
        reviews.create_reason(identity(w.platform[1]), "平台")
    assert snapshot(app) == before

    reviews.update_reason(admin1, first.id, "请补充项目业绩证明（盖章）")
    reviews.delete_reason(admin1, second.id)
    assert [row.text for row in reviews.reasons(admin1)] == [
        "请补充项目业绩证明（盖章）"
    ]
    db.session.rollback()
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.target_type == "review_reasons")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["review_reason.create"] * 3 + [
        "review_reason.update",
        "review_reason.delete",
    ]


def test_reason_chosen_from_the_list(w):
    admin1, admin2 = identity(w.admin1[1]), identity(w.admin2[1])
    mine = reviews.create_reason(admin1, "请补充项目业绩证明")
    theirs = reviews.create_reason(admin2, "对方学会的理由")
    assert reviews.chosen_reason(admin1, "", str(mine.id)) == "请补充项目业绩证明"
    assert reviews.chosen_reason(admin1, "自己写的", str(mine.id)) == "自己写的"
    assert reviews.chosen_reason(admin1, " 自己写的 ", "") == "自己写的"
    for bad in (str(theirs.id), "abc", "0"):
        error = _refusal(lambda bad=bad: reviews.chosen_reason(admin1, "", bad))
        assert (error.field, text_of(error.message)) == (
            "reason_id",
            "请从列表中选择常用理由。",
        )


def test_a_society_keeps_at_most_50_reason_texts(w):
    admin = identity(w.admin1[1])
    for number in range(reviews.REASONS_MAX):
        reviews.create_reason(admin, f"理由{number}")
    error = _refusal(lambda: reviews.create_reason(admin, "再多一条"))
    assert text_of(error.message) == "每个学会最多保存50条常用理由。"


# --- the row scope of a super-admin (app/scoping.py) -----------------------------------


def test_super_admin_scope_shows_its_societys_applications_only(w):
    from app.scoping import disable_scope, enable_scope, scope_for

    admin = identity(w.admin1[1])
    session = db.session
    enable_scope(session, scope_for(admin))
    try:
        names = set(session.scalars(select(ProspectiveApplication.name)).all())
        channels = set(session.scalars(select(Channel.name)).all())
        codes = session.scalars(select(ReferralCode.id)).all()
        projects = session.scalars(select(Project.id)).all()
        hidden = session.get(ProspectiveApplication, w.applicants["b1"].application_id)
        updated = session.execute(
            update(ProspectiveApplication)
            .values(name="改名")
            .execution_options(synchronize_session=False)
        ).rowcount
        session.rollback()
    finally:
        disable_scope(session)
    assert names == {"甲申请人ALPHAONE", "乙申请人BRAVOTWO", "丙申请人CHARLIETHREE"}
    # The channels its applications came through (S1's own, and S2's enterprise for a2).
    assert channels == {w.s1_name, w.ent2_name}
    assert codes == [] and projects == [] and hidden is None
    assert updated == 3


# --- two tabs at the same moment (threads) --------------------------------------------


def test_two_tabs_deciding_at_once_one_wins(app, w):
    """Two super-admins of S1 press 通过 and 不通过 on the same application at the same
    moment, several times over: exactly one decision is taken, the other is told who
    took it."""
    targets = [w.applicants[key].application_id for key in ("a1", "a2", "a3")]
    barrier = threading.Barrier(2)
    outcomes: dict[int, list] = {pk: [] for pk in targets}
    lock = threading.Lock()

    def tab(identity_id: int, action: str):
        with app.app_context():
            try:
                for pk in targets:
                    admin = identity(identity_id)
                    reviews.application_for(admin, pk)  # the page was open in both tabs
                    barrier.wait(timeout=30)
                    try:
                        reviews.decide(admin, pk, action, "同时操作")
                        outcome = ("done", action)
                    except reviews.ReviewError as error:
                        db.session.rollback()
                        outcome = ("refused", text_of(error.message))
                    with lock:
                        outcomes[pk].append(outcome)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=tab, args=(w.admin1[1], "approve"), daemon=True),
        threading.Thread(target=tab, args=(w.admin1b[1], "reject"), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    for pk in targets:
        kinds = sorted(kind for kind, _detail in outcomes[pk])
        assert kinds == ["done", "refused"], outcomes[pk]
        refused = next(detail for kind, detail in outcomes[pk] if kind == "refused")
        assert refused.startswith("该申请已由审核员") and refused.endswith(
            "本次操作未执行。"
        )
        events = _decision_events(pk)
        assert len(events) == 1
        assert application(pk).state == events[0].to_state
        db.session.rollback()
        notices = db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.title.in_(["您的申请已审核通过", "您的申请未通过审核"]),
                Message.account_id == application(pk).applicant_id,
            )
        )
        assert notices == 1
