"""Each identity's backend home page: its figures with exact numbers on a small world
(tests/services/consultation_support.py), the funnel drawn by the server, the super-
admin's links, and the number of SQL statements the figures and the page cost."""

import contextlib
import re

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Identity, ProspectiveApplication
from app.services import figures, members
from tests.conftest import login
from tests.services.consultation_support import build_consult_world
from tests.services.member_support import set_state

# Worked out by hand from the world's docstring:
#   E1 owns 4 codes (6 − 2 given to E2): b and c used (b's was shared), the other two
#   available and shared; E2 owns 2: e used (shared), one available; F1 owns 3: d used,
#   one of the two available shared.
EXPECTED = {
    # who: (allocated, shared, used, available), states, funnel submitted, approved
    "e1_contact": (
        (6, 4, 3, 3),
        {"submitted": 1, "returned": 1, "approved": 1, "rejected": 0, "withdrawn": 1},
        3,
        1,
    ),
    "e2_contact": (
        (2, 1, 1, 1),
        {"submitted": 0, "returned": 1, "approved": 0, "rejected": 0, "withdrawn": 0},
        1,
        0,
    ),
    "contact1": (
        (6, 4, 3, 3),
        {"submitted": 2, "returned": 1, "approved": 1, "rejected": 0, "withdrawn": 1},
        4,
        1,
    ),
    "contact2": (
        (3, 1, 1, 2),
        {"submitted": 1, "returned": 0, "approved": 0, "rejected": 0, "withdrawn": 0},
        1,
        0,
    ),
    # Super-admins: their society's channels' codes; the applications addressed to them.
    "admin1": (
        (6, 4, 3, 3),
        {"submitted": 2, "returned": 0, "approved": 1, "rejected": 0, "withdrawn": 1},
        3,
        1,
    ),
    "admin2": (
        (3, 1, 1, 2),
        {"submitted": 1, "returned": 1, "approved": 0, "rejected": 0, "withdrawn": 0},
        2,
        0,
    ),
    "platform": (
        (9, 5, 4, 5),
        {"submitted": 3, "returned": 1, "approved": 1, "rejected": 0, "withdrawn": 1},
        5,
        1,
    ),
}
WHO = list(EXPECTED)


@pytest.fixture
def cw(app, world):
    return build_consult_world(world)


@contextlib.contextmanager
def counting(app):
    """Count the SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("who", WHO)
def test_figures_per_identity(app, cw, who):
    codes, states, submitted, approved = EXPECTED[who]
    identity = db.session.get(Identity, getattr(cw, who)[1])
    _loaded = identity.channel  # as every backend request has it (app/roles.py)

    with app.test_request_context(), counting(app) as statements:
        result = figures.home_figures(identity)

    c = result.codes
    assert (c.allocated, c.shared, c.used, c.available) == codes
    assert {state: number for state, _title, number in result.state_rows()} == states
    assert [(stage.key, stage.value) for stage in result.funnel] == [
        ("allocated", codes[0]),
        ("shared", codes[1]),
        ("submitted", submitted),
        ("approved", approved),
        ("registered", 0),
    ]
    assert [stage.title for stage in result.funnel] == [
        "分配推荐码",
        "已分享",
        "已使用/已提交",
        "已通过",
        "已注册",
    ]
    # One query per figure group: codes, applications (and a super-admin's consultations).
    assert len(statements) == (3 if who.startswith("admin") else 2), statements


@pytest.mark.parametrize("who", WHO)
def test_registered_members_are_counted_in_the_funnel(app, cw, who):
    """The approved application c (E1's code, addressed to S1) registered as a member:
    已注册 is 1 for E1, its society's contact and super-admin and the platform admin, 0
    for E2, S2's contact and super-admin; still one query for the applications."""
    approved = db.session.scalar(
        select(ProspectiveApplication).where(ProspectiveApplication.state == "approved")
    )
    member = members.open_for(approved.applicant_id)
    set_state(member.id, "registered")
    identity = db.session.get(Identity, getattr(cw, who)[1])
    _loaded = identity.channel

    with app.test_request_context(), counting(app) as statements:
        result = figures.home_figures(identity)

    expected = 1 if who in ("e1_contact", "contact1", "admin1", "platform") else 0
    assert result.funnel[-1].key == "registered"
    assert result.funnel[-1].value == expected
    assert len(statements) == (3 if who.startswith("admin") else 2), statements


def test_super_admin_consultation_counts(app, cw):
    identity = db.session.get(Identity, cw.admin1[1])
    result = figures.home_figures(identity)
    assert result.consultations == {
        "requested": 2,
        "assigned": 0,
        "scheduled": 0,
        "held": 0,
        "cancelled": 0,
    }
    assert (
        figures.home_figures(db.session.get(Identity, cw.contact1[1])).consultations
        is None
    )


def _page_figures(page: str) -> dict:
    return {
        "codes": tuple(
            int(re.search(rf'data-figure="{key}">(\d+)<', page).group(1))
            for key in ("allocated", "shared", "used", "available")
        ),
        "states": {
            state: int(number)
            for state, number in re.findall(
                r'<tr data-state="(\w+)"><td>[^<]*</td><td class="text-right">(\d+)</td>',
                page,
            )
        },
        "funnel": re.findall(
            r'<g class="funnel-stage" data-stage="(\w+)" data-value="(\d+)">', page
        ),
    }


@pytest.mark.parametrize("who", WHO)
def test_home_page_shows_the_figures_and_the_funnel(app, client, cw, own_contexts, who):
    codes, states, submitted, approved = EXPECTED[who]
    login(client, *getattr(cw, who))

    with counting(app) as statements:
        response = client.get("/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    shown = _page_figures(page)
    assert shown["codes"] == codes
    assert shown["states"] == states
    assert shown["funnel"] == [
        ("allocated", str(codes[0])),
        ("shared", str(codes[1])),
        ("submitted", str(submitted)),
        ("approved", str(approved)),
        ("registered", "0"),
    ]
    # Drawn by the server: inline SVG, no script, nothing from another host.
    svg = re.search(r'<svg id="funnel".*?</svg>', page, re.S).group(0)
    assert "<script" not in svg and "http" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    widest = max(codes[0], codes[1], submitted, approved) or 1
    widths = [
        float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"', svg)
    ]
    assert widths[0] == pytest.approx(max(400 * codes[0] / widest, 2), abs=0.05)
    # The whole page: user, identity and its channel(s), the identity switch, and the
    # figure groups (measured: 8 for an enterprise contact, 9 for a super-admin).
    assert len(statements) <= 10, statements


def test_super_admin_home_is_not_blank(app, client, cw, own_contexts):
    login(client, *cw.admin1)
    page = client.get("/").get_data(as_text=True)
    assert 'id="review-link" href="/review/"' in page
    assert 'id="consultations-link" href="/consultations/"' in page
    counts = dict(
        re.findall(
            r'<tr data-step="(\w+)"><td><a href="[^"]+">[^<]*</a></td><td class="text-right">(\d+)</td>',
            page,
        )
    )
    assert counts == {
        "requested": "2",
        "assigned": "0",
        "scheduled": "0",
        "held": "0",
        "cancelled": "0",
    }


def test_review_link_only_when_the_review_queue_exists(app, cw, monkeypatch):
    from views.admin import home

    with app.test_request_context():
        assert home._review_endpoint() == "ReviewView.list"
        monkeypatch.setattr(home, "REVIEW_VIEW", "NoSuchView")
        assert home._review_endpoint() is None
