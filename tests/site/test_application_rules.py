"""The rules of the prospective application (SPEC §3) and its state machine (SPEC §4),
through app/services/applications: exact limits, each code problem with its own
message, nothing half-written, the draft kept after a refused submit."""

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db import write_transaction
from app.extensions import db
from app.models import (
    ApplicationEvent,
    Channel,
    CodeState,
    Message,
    ProspectiveApplication,
    ReferralCode,
)
from app.models.base import utcnow
from app.services import applications, channels
from app.services.applications import ApplicationError
from tests.site.application_support import (
    application_of,
    build_world,
    code_row,
    text_of,
)

USED = _l("This referral code has already been used.")
MISSING = _l("This referral code does not exist. Check it with your enterprise.")
REVOKED = _l("This referral code has been withdrawn by its enterprise.")
DISABLED = _l("The channel of this referral code is disabled; it cannot be used now.")


@pytest.fixture
def w(world):
    return build_world(world)


def _refused(account_id: int, form: dict) -> dict[str, str]:
    """Submit, expect a refusal, return its field messages."""
    with pytest.raises(ApplicationError) as caught:
        applications.submit(account_id, form)
    return caught.value.errors


def _length(minimum, maximum, length) -> str:
    return text_of(
        _l(
            "Enter %(minimum)d to %(maximum)d characters (now %(length)d).",
            minimum=minimum,
            maximum=maximum,
            length=length,
        )
    )


def _submitted_count() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).where(ProspectiveApplication.state == "submitted")
    )


# --- text lengths, counted as SPEC §3 counts -----------------------------------------


@pytest.mark.parametrize(
    ("practice", "stored_length"),
    [
        ("工" * 100, 100),
        ("工" * 300, 300),
        ("工" * 298 + "\r\n" + "程", 300),
        ("  \r\n" + "工" * 300 + "\r\n\u3000 ", 300),
        ("𠀋" * 300, 300),
    ],
    ids=["100", "300", "298+CRLF+1", "300-with-surrounding-space", "300-outside-BMP"],
)
def test_practice_within_limits_is_accepted_and_stored_normalised(
    app, w, practice, stored_length
):
    application = applications.submit(w.applicants[0], w.form(practice=practice))

    stored = application_of(w.applicants[0]).practice
    assert application.state == "submitted"
    assert len(stored) == stored_length
    assert "\r" not in stored and stored == stored.strip()


@pytest.mark.parametrize(
    ("practice", "length"),
    [
        ("工" * 99, 99),
        ("工" * 301, 301),
        ("工" * 299 + "\r\n" + "程", 301),
        ("𠀋" * 301, 301),
    ],
    ids=["99", "301", "299+CRLF+1", "301-outside-BMP"],
)
def test_practice_outside_limits_is_refused_with_the_count(app, w, practice, length):
    errors = _refused(w.applicants[0], w.form(practice=practice))

    assert errors == {"practice": _length(100, 300, length)}
    assert _submitted_count() == 0
    assert code_row(w.codes[0]).state == CodeState.AVAILABLE


@pytest.mark.parametrize(
    "value",
    [" ", "\u3000\u3000", "\r\n\t \r\n"],
    ids=["space", "ideographic-space", "newlines"],
)
def test_whitespace_only_text_counts_as_empty(app, w, value):
    errors = _refused(
        w.applicants[0], w.form(name=value, practice=value, employer=value)
    )

    assert errors == {
        "name": text_of(_l("Enter your name.")),
        "employer": text_of(_l("Enter your employer.")),
        "practice": text_of(
            _l("Describe your engineering practice (at least 100 characters).")
        ),
    }


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("𠀋" + "张" * 49, True),
        ("𠀋" * 50, True),
        ("𠀋" + "张" * 50, False),
        ("A" * 51, False),
    ],
    ids=["50-with-one-astral", "50-astral", "51-with-astral", "51-ascii"],
)
def test_name_counts_code_points(app, w, name, accepted):
    if accepted:
        applications.submit(w.applicants[0], w.form(name=name))
        assert application_of(w.applicants[0]).name == name
    else:
        assert _refused(w.applicants[0], w.form(name=name)) == {
            "name": _length(1, 50, 51)
        }


def test_name_with_a_line_break_is_refused(app, w):
    errors = _refused(w.applicants[0], w.form(name="张\n三"))

    assert errors == {
        "name": text_of(_l("Line breaks and control characters are not allowed here."))
    }


# --- mobile and e-mail -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mobile", "message"),
    [
        (
            "１３９００００１１１１",
            _l("Use half-width digits (0-9) for the mobile number."),
        ),
        (
            "13900001111\n",
            _l("The mobile number must not contain spaces or line breaks."),
        ),
        (
            "13900001111\r\n",
            _l("The mobile number must not contain spaces or line breaks."),
        ),
        (
            " 13900001111",
            _l("The mobile number must not contain spaces or line breaks."),
        ),
        ("+8613900001111", _l("Enter the 11-digit number without +86.")),
        (
            "1390000111",
            _l("A mobile number has 11 digits (now %(length)d).", length=10),
        ),
        (
            "12900001111",
            _l("This is not a mainland China mobile number (it starts with 13 to 19)."),
        ),
        ("139-0000-111", _l("The mobile number may contain digits only.")),
        ("", _l("Enter a mobile number.")),
    ],
    ids=[
        "full-width",
        "trailing-LF",
        "trailing-CRLF",
        "leading-space",
        "+86",
        "10-digits",
        "12x",
        "hyphens",
        "empty",
    ],
)
def test_mobile_variants_are_refused_each_with_its_reason(app, w, mobile, message):
    assert _refused(w.applicants[0], w.form(mobile=mobile)) == {
        "mobile": text_of(message)
    }


def test_invalid_email_is_refused_and_empty_email_is_fine(app, w):
    errors = _refused(w.applicants[0], w.form(email="zhang@example"))
    assert errors == {
        "email": text_of(
            _l("Enter a valid e-mail address, for example name@example.com.")
        )
    }

    applications.submit(w.applicants[0], w.form(email=""))
    assert application_of(w.applicants[0]).email is None


# --- referral codes ---------------------------------------------------------------------


def _use(code: str) -> None:
    with write_transaction():
        row = db.session.scalar(select(ReferralCode).where(ReferralCode.code == code))
        row.state = CodeState.USED.value
        row.used_at = utcnow()


def _revoke(code: str) -> None:
    with write_transaction():
        row = db.session.scalar(select(ReferralCode).where(ReferralCode.code == code))
        row.state = CodeState.REVOKED.value


def _disable(channel_id: int) -> None:
    channels.set_enabled(db.session.get(Channel, channel_id), False, actor=None)


@pytest.mark.parametrize(
    ("spoil", "code_of", "message"),
    [
        (None, lambda w: "ABCDEFGHJKMN", MISSING),
        (lambda w: _use(w.codes[0]), lambda w: w.codes[0], USED),
        (lambda w: _revoke(w.codes[0]), lambda w: w.codes[0], REVOKED),
        (lambda w: _disable(w.ent_id), lambda w: w.codes[0], DISABLED),
        (lambda w: _disable(w.ent_id), lambda w: w.sub_codes[0], DISABLED),
        (lambda w: _disable(w.sub_id), lambda w: w.sub_codes[0], DISABLED),
    ],
    ids=[
        "missing",
        "used",
        "revoked",
        "disabled",
        "parent-disabled",
        "level-2-disabled",
    ],
)
def test_code_problem_refuses_submit_with_its_own_message_and_keeps_the_draft(
    app, w, spoil, code_of, message
):
    if spoil is not None:
        spoil(w)
    code = code_of(w)
    before = code_row(code).state if code_row(code) else None

    errors = _refused(
        w.applicants[0], w.form(referral_code=code.lower(), project_id="")
    )

    assert errors == {"referral_code": text_of(message)}
    kept = application_of(w.applicants[0])
    assert kept.state == "draft" and kept.referral_code_id is None
    assert kept.draft_code == code and kept.name == "张三"
    assert (code_row(code).state if code_row(code) else None) == before


def test_code_messages_are_all_different(app):
    assert len({text_of(m) for m in (USED, MISSING, REVOKED, DISABLED)}) == 4


def test_enable_again_makes_the_code_usable(app, w):
    _disable(w.ent_id)
    channels.set_enabled(db.session.get(Channel, w.ent_id), True, actor=None)

    application = applications.submit(w.applicants[0], w.form())

    assert application.state == "submitted"


def test_code_is_case_insensitive_and_claimed_with_its_channel(app, w):
    applications.submit(
        w.applicants[0], w.form(referral_code=" " + w.codes[0].lower() + " ")
    )

    application = application_of(w.applicants[0])
    code = code_row(w.codes[0])
    assert code.state == CodeState.USED and code.used_at is not None
    assert application.referral_code_id == code.id
    assert application.channel_id == w.ent_id
    assert application.draft_code is None


def test_code_used_by_another_applicant_is_refused(app, w):
    applications.submit(w.applicants[0], w.form())

    errors = _refused(w.applicants[1], w.form(mobile="13900002222"))

    assert errors == {"referral_code": text_of(USED)}
    assert application_of(w.applicants[1]).state == "draft"


# --- projects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code_of", "project_of", "accepted"),
    [
        (lambda w: w.codes[0], lambda w: w.ent_project_id, True),
        (lambda w: w.sub_codes[0], lambda w: w.sub_project_id, True),
        (lambda w: w.sub_codes[0], lambda w: w.ent_project_id, True),  # the parent's
        (lambda w: w.codes[0], lambda w: w.sub_project_id, False),  # a child's
        (lambda w: w.codes[0], lambda w: w.foreign_project_id, False),
        (lambda w: w.codes[0], lambda w: w.inactive_project_id, False),
        (lambda w: w.codes[0], lambda w: 999999, False),
        (lambda w: w.codes[0], lambda w: "99999999999999999999", False),
        (lambda w: w.codes[0], lambda w: "abc", False),
    ],
    ids=[
        "own",
        "level-2-own",
        "level-2-parent",
        "level-1-child",
        "foreign",
        "inactive",
        "missing",
        "huge",
        "letters",
    ],
)
def test_project_must_belong_to_the_codes_enterprise(
    app, w, code_of, project_of, accepted
):
    form = w.form(referral_code=code_of(w), project_id=str(project_of(w)))

    if accepted:
        applications.submit(w.applicants[0], form)
        assert application_of(w.applicants[0]).project_id == project_of(w)
    else:
        errors = _refused(w.applicants[0], form)
        assert errors == {
            "project_id": text_of(
                _l("Choose a project of your enterprise from the suggestions.")
            )
        }
        assert code_row(code_of(w)).state == CodeState.AVAILABLE


def test_project_autocomplete_lists_the_enterprise_and_its_parent_only(app, w):
    account = w.applicants[0]

    own = applications.projects_for_code(w.codes[0], "", account_id=account)
    sub = applications.projects_for_code(w.sub_codes[0], "", account_id=account)
    fragment = applications.projects_for_code(
        w.sub_codes[0].lower(), "jakarta", account_id=account
    )

    assert [p.id for p in own] == [w.ent_project_id]
    assert {p.id for p in sub} == {w.ent_project_id, w.sub_project_id}
    assert [p.id for p in fragment] == [w.ent_project_id]
    assert applications.projects_for_code("ABCDEFGHJKMN", "", account_id=account) == []
    assert applications.projects_for_code(w.codes[0], "%", account_id=account) == []


def test_project_autocomplete_refuses_someone_elses_used_code_but_not_ones_own(app, w):
    applications.submit(w.applicants[0], w.form())

    assert (
        applications.projects_for_code(w.codes[0], "", account_id=w.applicants[1]) == []
    )
    assert [
        p.id
        for p in applications.projects_for_code(
            w.codes[0], "", account_id=w.applicants[0]
        )
    ] == [w.ent_project_id]


# --- field, society, level ---------------------------------------------------------------


def test_assessing_societies_are_the_national_ones_of_the_field(app, w):
    assert [s.id for s in applications.assessing_societies(w.field_id)] == [
        w.national_id
    ]
    assert [s.id for s in applications.assessing_societies(w.other_field_id)] == [
        w.national_other_id
    ]
    assert applications.assessing_societies(None) == []


@pytest.mark.parametrize(
    "society_of",
    [
        lambda w: w.national_other_id,
        lambda w: w.local_id,
        lambda w: 2**40,
        lambda w: "x",
    ],
    ids=["other-field", "local", "huge", "letters"],
)
def test_assessing_society_must_assess_the_field(app, w, society_of):
    errors = _refused(w.applicants[0], w.form(assessing_society_id=str(society_of(w))))

    assert errors == {
        "assessing_society_id": text_of(
            _l("Choose a national society that assesses your field.")
        )
    }


@pytest.mark.parametrize(
    "level",
    ["associate", "见习工程会员", "PROFESSIONAL"],
    ids=["associate", "chinese", "upper"],
)
def test_level_other_than_professional_or_senior_is_refused(app, w, level):
    errors = _refused(w.applicants[0], w.form(level=level))

    assert errors == {
        "level": text_of(_l("Choose Professional or Senior engineering member."))
    }


def test_senior_level_is_accepted(app, w):
    applications.submit(w.applicants[0], w.form(level="senior"))

    assert application_of(w.applicants[0]).level == "senior"


@pytest.mark.parametrize(
    "field_id",
    ["999999", "99999999999", "-1", "abc"],
    ids=["missing", "huge", "negative", "letters"],
)
def test_unknown_field_is_refused(app, w, field_id):
    errors = _refused(w.applicants[0], w.form(field_id=field_id))

    assert errors["field_id"] == text_of(_l("Choose a field from the list."))


# --- domestic / overseas ---------------------------------------------------------------------


def test_overseas_needs_project_and_country_and_ignores_employer(app, w):
    errors = _refused(w.applicants[0], w.form(overseas="1"))
    assert errors == {
        "overseas_project_name": text_of(
            _l("Enter the overseas engineering project you take part in.")
        ),
        "project_country": text_of(_l("Choose the country or region of the project.")),
    }

    applications.submit(
        w.applicants[0],
        w.form(
            overseas="1",
            overseas_project_name="雅万高铁",
            project_country="id",
            country="ID",
        ),
    )

    stored = application_of(w.applicants[0])
    assert stored.overseas is True
    assert (stored.employer, stored.overseas_project_name, stored.project_country) == (
        None,
        "雅万高铁",
        "ID",
    )


def test_domestic_ignores_overseas_fields(app, w):
    applications.submit(
        w.applicants[0], w.form(overseas_project_name="x" * 500, project_country="ZZ")
    )

    stored = application_of(w.applicants[0])
    assert (stored.overseas, stored.overseas_project_name, stored.project_country) == (
        False,
        None,
        None,
    )


@pytest.mark.parametrize(
    "country", ["ZZ", "CHN", ""], ids=["unknown", "alpha-3", "empty"]
)
def test_country_must_come_from_the_list(app, w, country):
    errors = _refused(w.applicants[0], w.form(country=country))

    expected = (
        _l("Choose the country or region where you are now.")
        if not country
        else _l("Choose a country or region from the list.")
    )
    assert errors == {"country": text_of(expected)}


# --- the society route ------------------------------------------------------------------------


def test_society_route_goes_through_the_societys_own_channel(app, w):
    application = applications.submit(w.applicants[0], w.form("society"))

    assert application.route == "society"
    assert application.channel_id == w.local_root_id
    assert application.referral_code_id is None
    assert application.assessing_society_id == w.national_id


@pytest.mark.parametrize(
    ("kind", "society_of", "field", "message"),
    [
        (
            "national",
            lambda w: w.local_id,
            "recommending_society_id",
            _l("Choose a society from the list."),
        ),
        (
            "",
            lambda w: 999999,
            "recommending_society_id",
            _l("Choose a society from the list."),
        ),
        (
            "local",
            lambda w: "",
            "recommending_society_id",
            _l("Choose the recommending society."),
        ),
        (
            "provincial",
            lambda w: w.local_id,
            "society_kind",
            _l("Choose national or local society."),
        ),
    ],
    ids=["kind-mismatch", "missing", "empty", "bad-kind"],
)
def test_society_route_refusals(app, w, kind, society_of, field, message):
    errors = _refused(
        w.applicants[0],
        w.form(
            "society", society_kind=kind, recommending_society_id=str(society_of(w))
        ),
    )

    assert errors == {field: text_of(message)}


def test_society_route_ignores_a_code_in_the_request(app, w):
    applications.submit(
        w.applicants[0],
        w.form("society", referral_code=w.codes[0], project_id=str(w.ent_project_id)),
    )

    stored = application_of(w.applicants[0])
    assert (stored.referral_code_id, stored.project_id, stored.draft_code) == (
        None,
        None,
        None,
    )
    assert code_row(w.codes[0]).state == CodeState.AVAILABLE


@pytest.mark.parametrize("route", ["", "admin"], ids=["empty", "unknown"])
def test_route_is_required(app, w, route):
    errors = _refused(w.applicants[0], w.form(route=route))

    assert errors["route"] == text_of(_l("Choose how you were recommended."))


# --- drafts and the one active application ----------------------------------------------------


def test_draft_keeps_any_subset_of_fields(app, w):
    applications.save_draft(
        w.applicants[0],
        {"route": "enterprise", "name": " 李四 ", "referral_code": "abc"},
    )

    draft = application_of(w.applicants[0])
    assert (
        draft.state,
        draft.name,
        draft.mobile,
        draft.draft_code,
        draft.channel_id,
    ) == ("draft", "李四", "", "ABC", None)


def test_draft_refuses_what_exceeds_a_limit(app, w):
    with pytest.raises(ApplicationError) as caught:
        applications.save_draft(
            w.applicants[0],
            {"route": "enterprise", "name": "张" * 51, "level": "associate"},
        )

    assert caught.value.errors == {
        "name": _length(1, 50, 51),
        "level": text_of(_l("Choose Professional or Senior engineering member.")),
    }
    assert application_of(w.applicants[0]) is None


def test_refused_submit_keeps_valid_fields_and_writes_nothing_else(app, w):
    applications.save_draft(
        w.applicants[0],
        {"route": "enterprise", "name": "旧名字", "practice": "旧的经历"},
    )

    _refused(
        w.applicants[0],
        w.form(name="张" * 51, practice="新的经历", referral_code=w.codes[1]),
    )

    draft = application_of(w.applicants[0])
    assert draft.state == "draft"
    assert draft.name == "旧名字"  # the refused value does not replace the stored one
    assert (draft.practice, draft.draft_code) == ("新的经历", w.codes[1])
    assert code_row(w.codes[1]).state == CodeState.AVAILABLE
    assert db.session.scalar(select(func.count()).select_from(ApplicationEvent)) == 0


def test_submit_sends_to_the_society_queue_with_history_and_message(app, w):
    application = applications.submit(w.applicants[0], w.form())

    events = applications.history(application)
    messages = db.session.scalars(
        select(Message).where(Message.account_id == w.applicants[0])
    ).all()
    assert (application.state, application.assessing_society_id) == (
        "submitted",
        w.national_id,
    )
    assert application.submitted_at is not None
    assert [(e.from_state, e.to_state, e.actor_id) for e in events] == [
        ("draft", "submitted", w.applicants[0])
    ]
    assert [m.title for m in messages] == [
        text_of(_l("Your application was submitted"))
    ]
    assert messages[0].body == text_of(
        _l(
            "%(title)s It was sent to %(society)s for review (%(level)s). You can follow it in the personal center.",
            title=text_of(_l("Your application was submitted")),
            society="中国土木工程学会",
            level=text_of(_l("Professional engineering member")),
        )
    )


def test_one_active_application_per_applicant(app, w):
    applications.submit(w.applicants[0], w.form())

    with pytest.raises(ApplicationError) as caught:
        applications.submit(w.applicants[0], w.form(referral_code=w.codes[1]))
    with pytest.raises(ApplicationError):
        applications.save_draft(w.applicants[0], w.form())

    assert str(caught.value.message) == text_of(
        _l("Your application has been submitted and cannot be changed now.")
    )
    assert code_row(w.codes[1]).state == CodeState.AVAILABLE
    with pytest.raises(IntegrityError), write_transaction():
        db.session.add(
            ProspectiveApplication(
                applicant_id=w.applicants[0],
                route="society",
                name="",
                mobile="",
                state="draft",
            )
        )


def test_withdraw_releases_the_code_for_someone_else(app, w):
    application = applications.submit(w.applicants[0], w.form())

    applications.transition(application, "withdraw", actor_id=w.applicants[0])
    second = applications.submit(w.applicants[1], w.form(mobile="13900002222"))

    first = db.session.get(ProspectiveApplication, application.id)
    assert (first.state, first.referral_code_id) == ("withdrawn", None)
    assert second.referral_code_id == code_row(w.codes[0]).id
    assert applications.active_application(w.applicants[0]) is None


def test_withdrawn_applicant_can_start_again(app, w):
    application = applications.submit(w.applicants[0], w.form())
    applications.transition(application, "withdraw", actor_id=w.applicants[0])

    again = applications.submit(w.applicants[0], w.form())

    assert again.id != application.id and again.state == "submitted"


def test_returned_application_is_edited_and_resubmitted_with_the_same_code(app, w):
    application = applications.submit(w.applicants[0], w.form())
    code_id = application.referral_code_id
    applications.transition(
        application, "return", actor_id=None, reason="请补充项目经历"
    )

    applications.save_draft(
        w.applicants[0],
        w.form(name="张三丰", referral_code=w.codes[1], route="society"),
    )
    returned = application_of(w.applicants[0])
    assert (returned.state, returned.name, returned.route) == (
        "returned",
        "张三丰",
        "enterprise",
    )
    resubmitted = applications.submit(
        w.applicants[0], w.form(name="张三丰", referral_code=w.codes[1])
    )

    assert resubmitted.id == application.id
    assert resubmitted.referral_code_id == code_id
    assert code_row(w.codes[1]).state == CodeState.AVAILABLE
    assert [
        (e.from_state, e.to_state, e.reason) for e in applications.history(resubmitted)
    ] == [
        ("draft", "submitted", None),
        ("submitted", "returned", "请补充项目经历"),
        ("returned", "submitted", None),
    ]


def test_return_and_reject_need_a_reason(app, w):
    application = applications.submit(w.applicants[0], w.form())

    for action in ("return", "reject"):
        with pytest.raises(applications.DomainError) as caught:
            applications.transition(application, action, actor_id=None, reason=" \r\n ")
        assert caught.value.field == "reason"
    assert db.session.get(ProspectiveApplication, application.id).state == "submitted"


@pytest.mark.parametrize(
    "reason",
    ["\x00\x01\x1b\u200b", "材料\x07不全", "材料不全\u202e反转", "\u200b\u200b"],
    ids=["controls-only", "bell", "direction-override", "zero-width-only"],
)
def test_reason_with_control_or_invisible_characters_is_refused(app, w, reason):
    application = applications.submit(w.applicants[0], w.form())

    for action in ("return", "reject"):
        with pytest.raises(applications.DomainError) as caught:
            applications.transition(application, action, actor_id=None, reason=reason)
        assert caught.value.field == "reason"
        assert str(caught.value.message) == text_of(
            _l("Control characters and invisible formatting characters are not allowed here.")
        )
    assert db.session.get(ProspectiveApplication, application.id).state == "submitted"
    # a reason on two lines is fine
    applications.transition(application, "return", actor_id=None, reason="第一点\n第二点")
    assert db.session.get(ProspectiveApplication, application.id).state == "returned"


STATES = ["draft", "submitted", "approved", "returned", "rejected", "withdrawn"]
ALLOWED = {
    "withdraw": {"draft", "submitted"},
    "approve": {"submitted"},
    "return": {"submitted"},
    "reject": {"submitted"},
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_transition_table(app, w, state, action):
    with write_transaction():
        row = ProspectiveApplication(
            applicant_id=w.applicants[0],
            route="society",
            name="张三",
            mobile="13900001111",
            state=state,
        )
        db.session.add(row)
    target = applications.TRANSITIONS[action][1].value

    if state in ALLOWED[action]:
        applications.transition(row, action, actor_id=None, reason="理由")
        assert db.session.get(ProspectiveApplication, row.id).state == target
    else:
        with pytest.raises(applications.DomainError):
            applications.transition(row, action, actor_id=None, reason="理由")
        db.session.rollback()
        assert db.session.get(ProspectiveApplication, row.id).state == state


# --- a returned application after its channel was disabled ---------------------------------
# SPEC §2: a disabled channel's codes are refused at submit, existing applications are
# untouched. A returned application is an existing one: it was recommended before the
# channel was disabled and keeps that channel when it is resubmitted. A new application
# through the same channel is refused.

SOCIETY_CLOSED = _l("This society takes no applications at present.")


def test_returned_enterprise_application_is_resubmitted_after_its_channel_was_disabled(
    app, w
):
    application = applications.submit(w.applicants[0], w.form())
    applications.transition(application, "return", actor_id=None, reason="补充经历")
    _disable(w.ent_id)

    resubmitted = applications.submit(w.applicants[0], w.form(name="张三丰"))

    assert (resubmitted.state, resubmitted.name, resubmitted.channel_id) == (
        "submitted",
        "张三丰",
        w.ent_id,
    )
    # A new applicant with another code of the disabled enterprise is refused.
    errors = _refused(w.applicants[1], w.form(referral_code=w.codes[1]))
    assert errors == {"referral_code": text_of(DISABLED)}


def test_returned_society_application_keeps_its_disabled_society_but_cannot_move_to_one(
    app, w
):
    application = applications.submit(w.applicants[0], w.form(route="society"))
    applications.transition(application, "return", actor_id=None, reason="补充经历")
    with write_transaction():  # a society's own channel is closed by the platform only
        db.session.get(Channel, w.local_root_id).enabled = False

    resubmitted = applications.submit(w.applicants[0], w.form(route="society"))
    assert (resubmitted.state, resubmitted.channel_id) == ("submitted", w.local_root_id)

    errors = _refused(w.applicants[1], w.form(route="society"))
    assert errors == {"recommending_society_id": text_of(SOCIETY_CLOSED)}
