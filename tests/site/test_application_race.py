"""Two applicants submit the same referral code at the same moment: exactly one wins;
the other keeps the draft and is told the code is used. On the SQLite file database and
on PostgreSQL, each thread with its own app context, session and connection."""

import threading

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import CodeState, ProspectiveApplication, ReferralCode
from app.services import applications
from app.services.applications import ApplicationError
from tests.site.application_support import (
    application_of,
    build_world,
    code_row,
    text_of,
)

JOIN_TIMEOUT_S = 60


def _submit_together(app, forms: dict[int, dict]) -> dict[int, object]:
    """Submit every (account, form) at once; return account → application or error."""
    barrier = threading.Barrier(len(forms))
    outcomes: dict[int, object] = {}

    def run(account_id, form):
        with app.app_context():
            try:
                barrier.wait(timeout=JOIN_TIMEOUT_S)
                outcomes[account_id] = applications.submit(account_id, form).id
            except Exception as error:  # the test asserts which ones occurred
                outcomes[account_id] = error
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=item, daemon=True) for item in forms.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a submit hung"
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_same_code_submitted_at_once_has_exactly_one_winner(app, world, round_):
    w = build_world(world, applicants=2)
    code = w.codes[round_]
    first, second = w.applicants
    forms = {
        first: w.form(referral_code=code, mobile="13900001111"),
        second: w.form(referral_code=code.lower(), mobile="13900002222", name="李四"),
    }
    db.session.commit()

    outcomes = _submit_together(app, forms)

    winners = [
        account for account, outcome in outcomes.items() if isinstance(outcome, int)
    ]
    losers = [
        account for account, outcome in outcomes.items() if not isinstance(outcome, int)
    ]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    error = outcomes[losers[0]]
    assert isinstance(error, ApplicationError)
    assert error.errors == {
        "referral_code": text_of(_l("This referral code has already been used."))
    }

    used = code_row(code)
    assert used.state == CodeState.USED
    won = application_of(winners[0])
    assert (won.state, won.referral_code_id, won.channel_id) == (
        "submitted",
        used.id,
        w.ent_id,
    )
    kept = application_of(losers[0])
    assert (kept.state, kept.referral_code_id, kept.draft_code) == ("draft", None, code)
    assert (
        kept.name == forms[losers[0]]["name"]
        and kept.practice == forms[losers[0]]["practice"]
    )
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count()).where(
                ProspectiveApplication.referral_code_id == used.id
            )
        )
        == 1
    )


def test_many_applicants_over_few_codes_never_share_one(app, world):
    w = build_world(world, applicants=8)
    codes = w.codes[:3]
    forms = {
        account: w.form(
            referral_code=codes[index % len(codes)], mobile=f"1390000{index:04d}"
        )
        for index, account in enumerate(w.applicants)
    }
    db.session.commit()

    outcomes = _submit_together(app, forms)

    winners = [outcome for outcome in outcomes.values() if isinstance(outcome, int)]
    errors = [outcome for outcome in outcomes.values() if not isinstance(outcome, int)]
    assert len(winners) == len(codes)
    assert all(
        isinstance(error, ApplicationError) and list(error.errors) == ["referral_code"]
        for error in errors
    )
    db.session.rollback()
    bound = db.session.scalars(
        select(ProspectiveApplication.referral_code_id).where(
            ProspectiveApplication.state == "submitted"
        )
    ).all()
    used = db.session.scalars(
        select(ReferralCode.id).where(ReferralCode.state == CodeState.USED.value)
    ).all()
    assert sorted(bound) == sorted(used) and len(set(bound)) == len(codes)
