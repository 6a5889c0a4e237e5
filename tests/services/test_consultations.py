"""The consultation state machine (app/services/consultations.py): every step from every
step, the exact Chinese refusals, the future-time rule, two tabs racing, another
society's super-admin, the history, the applicant's message and the overview label."""

import collections
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Consultation,
    ConsultationEvent,
    Identity,
    Message,
    OutboxMessage,
    ProspectiveApplication,
)
from app.scoping import disable_scope, enable_scope, scope_for
from app.services import consultations
from app.services.consultations import ConsultationError
from app.times import format_local
from tests.services.consultation_support import (
    build_consult_world,
    future,
    local_input,
    text_of,
)

JOIN_TIMEOUT_S = 60

STEP_ZH = {
    "requested": "已申请",
    "assigned": "已指派专家",
    "scheduled": "已安排",
    "held": "已完成",
    "cancelled": "已取消",
}
ACTION_ZH = {
    "assign": "指派专家",
    "schedule": "安排咨询",
    "hold": "记录咨询结果",
    "cancel": "取消咨询",
}


@pytest.fixture
def cw(app, world):
    return build_consult_world(world)


def _identity(identity_id: int) -> Identity:
    return db.session.get(Identity, identity_id)


def _take(
    action: str, application_id: int, actor: Identity, version: int | None = None
):
    """One step with valid input."""
    if action == "assign":
        return consultations.assign_expert(
            application_id,
            expert_name="王建国",
            expert_contact="13911112222",
            actor=actor,
            seen_version=version,
        )
    if action == "schedule":
        return consultations.schedule(
            application_id,
            method="online",
            scheduled_at=local_input(future(days=2)),
            meeting="腾讯会议 123-456-789",
            actor=actor,
            seen_version=version,
        )
    if action == "hold":
        return consultations.record_held(
            application_id,
            notes="建议补充海外项目业绩。",
            actor=actor,
            seen_version=version,
        )
    return consultations.cancel(
        application_id, reason="申请人时间冲突", actor=actor, seen_version=version
    )


# The steps that lead to each step from requested.
PATH = {
    "requested": [],
    "assigned": ["assign"],
    "scheduled": ["assign", "schedule"],
    "held": ["assign", "schedule", "hold"],
    "cancelled": ["cancel"],
}
ALLOWED = {
    ("requested", "assign"): "assigned",
    ("requested", "cancel"): "cancelled",
    ("assigned", "assign"): "assigned",
    ("assigned", "schedule"): "scheduled",
    ("assigned", "cancel"): "cancelled",
    ("scheduled", "schedule"): "scheduled",
    ("scheduled", "hold"): "held",
    ("scheduled", "cancel"): "cancelled",
}


def _state(application_id: int) -> tuple:
    """The consultation row and its events, read fresh."""
    db.session.rollback()
    row = db.session.scalar(
        select(Consultation).where(Consultation.application_id == application_id)
    )
    if row is None:
        return None, []
    events = db.session.scalars(
        select(ConsultationEvent)
        .where(ConsultationEvent.consultation_id == row.id)
        .order_by(ConsultationEvent.id)
    ).all()
    return (row.step, row.version), [(e.action, e.from_step, e.to_step) for e in events]


@pytest.mark.parametrize("start", list(PATH), ids=list(PATH))
@pytest.mark.parametrize("action", list(ACTION_ZH), ids=list(ACTION_ZH))
def test_step_table(app, cw, start, action):
    """Every step × every action: the allowed ones land where the table says, each
    refused one says so in Chinese and changes nothing."""
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["a"]
    for step in PATH[start]:
        _take(step, application_id, admin)
    before = _state(application_id)

    if (start, action) in ALLOWED:
        consultation = _take(action, application_id, admin)
        assert consultation.step == ALLOWED[(start, action)]
        (step, version), events = _state(application_id)
        assert step == ALLOWED[(start, action)]
        assert version == len(PATH[start]) + 1
        assert events[-1] == (action, start, ALLOWED[(start, action)])
    else:
        with pytest.raises(ConsultationError) as refused:
            _take(action, application_id, admin)
        assert text_of(refused.value.message) == (
            f"该咨询指导当前为“{STEP_ZH[start]}”，不能{ACTION_ZH[action]}。"
        )
        assert _state(application_id) == before


def test_steps_recorded_with_actor_identity_time_and_details(app, cw):
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["b"]
    when = future(days=3)

    consultations.assign_expert(
        application_id,
        expert_name="  李工  ",
        expert_contact="li@example.com",
        actor=admin,
        seen_version=0,
    )
    consultations.schedule(
        application_id,
        method="phone",
        scheduled_at=local_input(when),
        actor=admin,
        seen_version=1,
    )
    consultations.record_held(
        application_id, notes="第一行\r\n第二行", actor=admin, seen_version=2
    )

    db.session.rollback()
    row = db.session.scalar(
        select(Consultation).where(Consultation.application_id == application_id)
    )
    assert (row.step, row.version, row.expert_name, row.expert_contact) == (
        "held",
        3,
        "李工",
        "li@example.com",
    )
    assert (row.method, row.scheduled_at, row.meeting, row.notes) == (
        "phone",
        when,
        None,
        "第一行\n第二行",
    )
    events = db.session.scalars(
        select(ConsultationEvent)
        .where(ConsultationEvent.consultation_id == row.id)
        .order_by(ConsultationEvent.id)
    ).all()
    assert [(e.action, e.from_step, e.to_step) for e in events] == [
        ("assign", "requested", "assigned"),
        ("schedule", "assigned", "scheduled"),
        ("hold", "scheduled", "held"),
    ]
    assert {(e.actor_id, e.identity_id) for e in events} == {cw.admin1}
    assert all(e.at is not None for e in events)
    assert events[0].details == {
        "expert_name": "李工",
        "expert_contact": "li@example.com",
    }
    assert events[1].details == {"method": "phone", "scheduled_at": when.isoformat()}
    # The history line of the schedule shows Beijing time (UTC+8).
    local = (when + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    with app.test_request_context():
        assert consultations.describe(events[1]) == f"{local}（北京时间），电话"
    # The application's own history is shown with it, in time order.
    application = db.session.get(ProspectiveApplication, application_id)
    kinds = [kind for _at, kind, _event in consultations.timeline(application, row)]
    assert kinds == ["consultation"] * 3  # these rows were made without a submit event


def test_schedule_tells_the_applicant_in_chinese_beijing_time(app, cw):
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["a"]
    when = future(days=5)
    local = (when + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    _take("assign", application_id, admin)

    with app.test_request_context():
        consultations.schedule(
            application_id,
            method="online",
            scheduled_at=local_input(when),
            meeting="腾讯会议 888-999",
            actor=admin,
        )

    db.session.rollback()
    message = db.session.scalar(
        select(Message).where(Message.account_id == cw.applicants["a"])
    )
    assert message.title == "您的咨询指导已安排"
    assert message.body == (
        f"咨询指导将于{local}（北京时间）以在线会议方式进行，专家：王建国。会议地址或会议号：腾讯会议 888-999"
    )
    sms = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == cw.mobiles["a"])
    )
    assert sms is not None and "腾讯会议 888-999" in sms.body
    # Assigning an expert does not message the applicant; only the schedule does.
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.account_id == cw.applicants["a"])
        )
        == 1
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("past", "咨询时间必须晚于当前时间。"),
        ("now", "咨询时间必须晚于当前时间。"),
        ("year", "咨询时间须在一年以内。"),
        ("", "请填写咨询时间。"),
        ("明天下午", "请按“年-月-日 时:分”填写咨询时间，例如 2026-03-05 14:30。"),
        (
            "2026-13-01T10:00",
            "请按“年-月-日 时:分”填写咨询时间，例如 2026-03-05 14:30。",
        ),
    ],
    ids=["past", "now", "beyond-a-year", "empty", "words", "month-13"],
)
def test_schedule_time_must_be_in_the_future(app, cw, monkeypatch, typed, expected):
    now = dt.datetime(2026, 3, 2, 8, 0)  # 16:00 in Beijing
    monkeypatch.setattr("app.services.consultations.utcnow", lambda: now)
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["a"]
    _take("assign", application_id, admin)
    before = _state(application_id)
    value = {
        "past": "2026-03-02T15:59",  # a minute ago in Beijing
        "now": "2026-03-02T16:00",
        "year": "2027-03-04T16:00",
    }.get(typed, typed)

    with pytest.raises(ConsultationError) as refused:
        consultations.schedule(
            application_id,
            method="phone",
            scheduled_at=value,
            actor=admin,
            seen_version=1,
        )

    assert text_of(refused.value.message) == expected
    assert refused.value.field == "scheduled_at"
    assert _state(application_id) == before


def test_schedule_time_is_typed_in_beijing_and_stored_in_utc(app, cw, monkeypatch):
    monkeypatch.setattr(
        "app.services.consultations.utcnow", lambda: dt.datetime(2026, 3, 2, 8, 0)
    )
    admin = _identity(cw.admin1[1])
    _take("assign", cw.apps["a"], admin)

    consultation = consultations.schedule(
        cw.apps["a"],
        method="phone",
        scheduled_at="2026-03-02T16:01",
        actor=admin,
        seen_version=1,
    )

    assert consultation.scheduled_at == dt.datetime(2026, 3, 2, 8, 1)
    with app.test_request_context():
        assert format_local(consultation.scheduled_at) == "2026-03-02 16:01"
        assert "2026-03-02 16:01" in consultations.arrangement_text(consultation)
        assert (
            consultations.local_input(consultation.scheduled_at) == "2026-03-02T16:01"
        )


@pytest.mark.parametrize(
    ("action", "fields", "field", "expected"),
    [
        (
            "assign",
            {"expert_name": "", "expert_contact": "x"},
            "expert_name",
            "请填写专家姓名。",
        ),
        (
            "assign",
            {"expert_name": "王" * 51, "expert_contact": "x"},
            "expert_name",
            "最多50个字（当前51个）。",
        ),
        (
            "assign",
            {"expert_name": "王\n工", "expert_contact": "x"},
            "expert_name",
            "请在一行内填写。",
        ),
        (
            "assign",
            {"expert_name": "王工", "expert_contact": " "},
            "expert_contact",
            "请填写专家联系方式（电话或邮箱）。",
        ),
        (
            "schedule",
            {"method": "email", "scheduled_at": "2099-01-01T10:00"},
            "method",
            "请选择咨询方式：电话或在线会议。",
        ),
        (
            "schedule",
            {"method": "online", "meeting": "  "},
            "meeting",
            "在线会议须填写会议地址或会议号。",
        ),
        ("hold", {"notes": ""}, "notes", "请填写咨询记录。"),
        ("cancel", {"reason": ""}, "reason", "请填写原因。"),
    ],
    ids=[
        "no-expert",
        "long-expert",
        "two-line-expert",
        "no-contact",
        "bad-method",
        "online-no-meeting",
        "no-notes",
        "no-reason",
    ],
)
def test_field_messages(app, cw, action, fields, field, expected):
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["a"]
    for step in {
        "assign": [],
        "schedule": ["assign"],
        "hold": ["assign", "schedule"],
        "cancel": [],
    }[action]:
        _take(step, application_id, admin)
    before = _state(application_id)
    functions = {
        "assign": consultations.assign_expert,
        "schedule": consultations.schedule,
        "hold": consultations.record_held,
        "cancel": consultations.cancel,
    }
    if action == "schedule":
        fields = {"scheduled_at": local_input(future(days=1)), **fields}

    with pytest.raises(ConsultationError) as refused:
        functions[action](application_id, actor=admin, **fields)

    assert (refused.value.field, text_of(refused.value.message)) == (field, expected)
    assert _state(application_id) == before


@pytest.mark.parametrize("who", ["admin2", "contact1", "e1_contact", "platform"])
def test_only_the_assessing_societys_admin_arranges(app, cw, who):
    """Another society's super-admin, a channel contact of the same society, the
    platform admin: refused, nothing written."""
    application_id = cw.apps["a"]
    actor = _identity(getattr(cw, who)[1])
    assert consultations.get_for_society(actor, application_id) is None

    for action in ACTION_ZH:
        with pytest.raises(ConsultationError) as refused:
            _take(action, application_id, actor)
        assert text_of(refused.value.message) == "该咨询指导不属于本学会。"

    assert _state(application_id) == (None, [])
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("c", "该申请人未申请咨询指导。"),
        ("f", "该咨询指导不属于本学会。"),  # a draft is nobody's business yet
        ("g", "该申请当前为“已撤回”，其咨询指导只能取消。"),
    ],
    ids=["no-consultation-asked", "draft", "withdrawn"],
)
def test_applications_that_cannot_be_arranged(app, cw, key, expected):
    admin = _identity(cw.admin1[1])
    with pytest.raises(ConsultationError) as refused:
        _take("assign", cw.apps[key], admin)
    assert text_of(refused.value.message) == expected
    assert _state(cw.apps[key]) == (None, [])


def test_withdrawn_after_scheduling_can_still_be_cancelled(app, cw):
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["a"]
    _take("assign", application_id, admin)
    _take("schedule", application_id, admin)
    db.session.execute(
        ProspectiveApplication.__table__.update()
        .where(ProspectiveApplication.id == application_id)
        .values(state="withdrawn")
    )
    db.session.commit()

    with pytest.raises(ConsultationError) as refused:
        _take("hold", application_id, admin)
    assert (
        text_of(refused.value.message) == "该申请当前为“已撤回”，其咨询指导只能取消。"
    )
    assert _take("cancel", application_id, admin).step == "cancelled"


def _together(app, calls) -> list:
    """Run every call at once, each in its own app context (own session and
    connection); return the outcomes (consultation step or the error)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        with app.app_context():
            try:
                barrier.wait(timeout=JOIN_TIMEOUT_S)
                outcomes[index] = call().step
            except Exception as error:  # the test asserts which ones occurred
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=item, daemon=True)
        for item in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a step hung"
    return outcomes


@pytest.mark.parametrize("round_", range(2))
def test_two_tabs_taking_the_same_step_one_wins(app, cw, round_):
    """Two tabs opened at the same version send their step at once: exactly one is
    taken; the other is refused with a message, and one event is recorded."""
    admin_id = cw.admin1[1]
    application_id = cw.apps["a"] if round_ == 0 else cw.apps["b"]
    db.session.commit()

    def assign(name):
        return lambda: consultations.assign_expert(
            application_id,
            expert_name=name,
            expert_contact="010-1234",
            actor=_identity(admin_id),
            seen_version=0,
        )

    outcomes = _together(app, [assign("张工"), assign("刘工")])

    winners = [o for o in outcomes if o == "assigned"]
    losers = [o for o in outcomes if isinstance(o, ConsultationError)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert text_of(losers[0].message) == (
        "该咨询指导已被他人更新（当前为“已指派专家”），本次操作未执行，请查看后重试。"
    )
    (step, version), events = _state(application_id)
    assert (step, version, events) == (
        "assigned",
        1,
        [("assign", "requested", "assigned")],
    )

    # The same for the next step, from version 1: one schedule, one refusal.
    def schedule(method):
        return lambda: consultations.schedule(
            application_id,
            method=method,
            scheduled_at=local_input(future(days=1)),
            meeting="会议 1",
            actor=_identity(admin_id),
            seen_version=1,
        )

    outcomes = _together(app, [schedule("phone"), schedule("online")])
    assert collections.Counter(type(o).__name__ for o in outcomes) == {
        "str": 1,
        "ConsultationError": 1,
    }
    (step, version), events = _state(application_id)
    assert (step, version, len(events)) == ("scheduled", 2, 2)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.account_id == cw.applicants["a" if round_ == 0 else "b"])
        )
        == 1
    )


def test_two_tabs_recording_held_one_is_told_it_is_done(app, cw):
    admin_id = cw.admin1[1]
    application_id = cw.apps["a"]
    _take("assign", application_id, _identity(admin_id))
    _take("schedule", application_id, _identity(admin_id))
    db.session.commit()

    def hold():
        return consultations.record_held(
            application_id,
            notes="已完成咨询。",
            actor=_identity(admin_id),
            seen_version=2,
        )

    outcomes = _together(app, [hold, hold])

    losers = [o for o in outcomes if isinstance(o, ConsultationError)]
    assert outcomes.count("held") == 1 and len(losers) == 1, outcomes
    assert text_of(losers[0].message) == "该咨询指导当前为“已完成”，不能记录咨询结果。"
    assert _state(application_id)[0] == ("held", 3)


def test_a_page_left_open_is_refused_after_another_tab_moved_on(app, cw):
    admin = _identity(cw.admin1[1])
    application_id = cw.apps["a"]
    _take("assign", application_id, admin, version=0)

    with pytest.raises(ConsultationError) as refused:
        _take("assign", application_id, admin, version=0)  # the first tab again

    assert text_of(refused.value.message) == (
        "该咨询指导已被他人更新（当前为“已指派专家”），本次操作未执行，请查看后重试。"
    )
    assert _state(application_id)[0] == ("assigned", 1)


def test_status_for_gives_chinese_labels_within_the_callers_scope(app, cw):
    admin = _identity(cw.admin1[1])
    _take("assign", cw.apps["b"], admin)
    _take("cancel", cw.apps["a"], admin)
    ids = list(cw.apps.values())

    with app.test_request_context():
        everything = consultations.status_for(ids)
        enable_scope(db.session, scope_for(_identity(cw.e1_contact[1])))
        for_e1 = consultations.status_for(ids)
        disable_scope(db.session)

    assert everything == {
        cw.apps["a"]: "已取消",
        cw.apps["b"]: "已指派专家",
        cw.apps["d"]: "已申请",
    }
    # E1's contact reads its own applications only (b, c, g through E1; e through E2).
    assert for_e1 == {cw.apps["b"]: "已指派专家"}
    assert consultations.status_for([]) == {}


def test_list_and_counts_of_a_society(app, cw):
    admin = _identity(cw.admin1[1])
    _take("assign", cw.apps["b"], admin)

    page = consultations.list_for_society(admin)
    names = [application.name for application, _c in page.rows]
    assert (page.total, names) == (2, [cw.names["a"], cw.names["b"]])
    assert consultations.count_by_step(admin) == {
        "requested": 1,
        "assigned": 1,
        "scheduled": 0,
        "held": 0,
        "cancelled": 0,
    }
    requested = consultations.list_for_society(admin, step="requested")
    assert [a.id for a, _c in requested.rows] == [cw.apps["a"]]
    assigned = consultations.list_for_society(admin, step="assigned")
    assert [a.id for a, _c in assigned.rows] == [cw.apps["b"]]
    assert consultations.list_for_society(admin, name="申请人B").total == 1
    other = _identity(cw.admin2[1])
    assert [a.id for a, _c in consultations.list_for_society(other).rows] == [
        cw.apps["d"]
    ]
    assert consultations.list_for_society(_identity(cw.contact1[1])).total == 0
