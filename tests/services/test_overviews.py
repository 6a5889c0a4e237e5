"""The overviews of SPEC §5 as services: exact rows per identity, the mobile rule, every
filter, the refused filters with their Chinese messages, order, figures and hooks."""

import pytest
from flask import current_app
from sqlalchemy import DateTime, case, cast, null

from app.extensions import db
from app.models import Identity, ProspectiveApplication
from app.services import consultations, overviews
from app.services.overviews import OverviewKind
from tests.services.overview_support import EXPECTED, FULL_MOBILES, build_world, masked

APPROVED = {"a2", "y2", "c1"}


@pytest.fixture
def w(app):
    return build_world(app)


def identity_of(w, key) -> Identity:
    return db.session.get(Identity, w.identities[key][1])


def zh(message) -> str:
    with current_app.test_request_context():
        return str(message)


def read(w, key, kind=OverviewKind.PROSPECT, **raw):
    identity = identity_of(w, key)
    return identity, overviews.read_filters(identity, kind, raw)


def shown(w, key, kind=OverviewKind.PROSPECT, **raw) -> set[str]:
    identity, filters = read(w, key, kind, **raw)
    assert filters.ok, {name: zh(message) for name, message in filters.errors.items()}
    page = overviews.page_of(identity, filters, 1, 100)
    assert page.total == len(page.rows)
    return w.keys(row.id for row in page.rows)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_identity_sees_exactly_its_applications(app, w, key):
    assert shown(w, key) == EXPECTED[key]
    assert shown(w, key, OverviewKind.ASSESSMENT) == EXPECTED[key] & APPROVED


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_full_mobile_numbers_follow_one_rule(app, w, key):
    identity, filters = read(w, key)
    rows = overviews.page_of(identity, filters, 1, 100).rows

    mobiles = {w.key_of(row.id): row.mobile for row in rows}

    assert mobiles == {
        k: w.mobiles[k] if k in FULL_MOBILES[key] else masked(w.mobiles[k])
        for k in EXPECTED[key]
    }


def test_the_overview_scope_holds_under_the_orm_row_scope(app, w):
    """Inside a request the ORM scope of app/scoping.py is on as well: the overview
    shows the same rows (and a super-admin, whom that scope gives no channel, too)."""
    from app.scoping import disable_scope, enable_scope, scope_for

    for key in ("a", "a2", "s1_contact", "s1_admin", "s2_admin"):
        identity = identity_of(w, key)
        enable_scope(db.session, scope_for(identity))
        try:
            assert shown(w, key) == EXPECTED[key], key
            assert [
                label for _id, label in overviews.channel_choices(identity_of(w, key))
            ]
        finally:
            disable_scope(db.session)


# --------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"name": "申请人a"}, {"a1", "a2"}),  # case-insensitive, anywhere in the name
        ({"name": "%"}, set()),  # wildcards are literal
        ({"field": "power"}, {"a2", "x2"}),
        ({"channel": "a2"}, {"x2"}),
        ({"channel": "a"}, {"a1", "a2"}),  # that channel, not its children
        ({"channel_name": "alphasub"}, {"x2"}),
        ({"level": "senior"}, {"a1", "b1", "y2"}),
        ({"state": "approved"}, {"a2", "y2"}),
        ({"state": "returned"}, {"x2"}),
        ({"consultation": "yes"}, {"r1", "a2", "y2"}),
        ({"consultation": "no"}, {"a1", "x2", "b1"}),
        # Days are Asia/Shanghai days: r1 at 00:30 on 1 March, x2 at 23:59 on 28 February.
        ({"submitted_from": "2026-03-01"}, {"r1", "a1", "a2", "b1", "y2"}),
        ({"submitted_to": "2026-03-01"}, {"r1", "a1", "x2"}),
        ({"submitted_from": "2026-03-01", "submitted_to": "2026-03-01"}, {"r1", "a1"}),
        ({"submitted_from": "2026-03-02", "submitted_to": "2026-03-03"}, {"a2", "b1"}),
        (
            {"name": "申请人", "level": "professional", "consultation": "yes"},
            {"r1", "a2"},
        ),
    ],
    ids=lambda value: repr(value) if isinstance(value, dict) else "",
)
def test_each_filter_of_a_society_contact(app, w, raw, expected):
    if "field" in raw:
        raw = {**raw, "field": str(w.field_ids[raw["field"]])}
    if "channel" in raw:
        raw = {**raw, "channel": str(w.channel_ids[raw["channel"]])}

    assert shown(w, "s1_contact", **raw) == expected


def test_mobile_filter_finds_masked_numbers_by_all_eleven_digits_only(app, w):
    """A level-1 contact sees its level-2 enterprise's applicant masked: part of that
    number must not find the row (the filter would reveal the hidden digits)."""
    hidden, own = w.mobiles["x2"], w.mobiles["a1"]

    assert shown(w, "a", mobile=own[3:9]) == {"a1"}
    assert shown(w, "a", mobile=hidden[:8]) == set()
    assert shown(w, "a", mobile=hidden[5:]) == set()
    assert shown(w, "a", mobile=hidden) == {"x2"}
    assert shown(w, "admin", mobile=hidden[:8]) == {"x2"}


@pytest.mark.parametrize(
    ("stage", "value", "expected"),
    [
        ("applied", "yes", set()),
        ("applied", "no", {"a2", "y2"}),
        ("registered", "yes", set()),
        ("passed", "no", {"a2", "y2"}),
    ],
)
def test_member_stage_filters_exist_before_issue_5(app, w, stage, value, expected):
    assert shown(w, "s1_contact", OverviewKind.ASSESSMENT, **{stage: value}) == expected


def test_member_stages_are_read_from_one_hook(app, w, monkeypatch):
    """Issue 5 fills member_stage_columns(): columns, filters, order and figures follow."""
    stamp = ProspectiveApplication.submitted_at
    only_a2 = case(
        (ProspectiveApplication.id == w.application_ids["a2"], stamp),
        else_=cast(null(), DateTime),
    )
    monkeypatch.setattr(
        overviews,
        "member_stage_columns",
        lambda: {
            "applied": only_a2,
            "accepted": cast(null(), DateTime),
            "passed": cast(null(), DateTime),
            "registered": cast(null(), DateTime),
        },
    )
    identity, filters = read(
        w, "s1_contact", OverviewKind.ASSESSMENT, sort="applied", dir="asc"
    )

    rows = overviews.page_of(identity, filters, 1, 10).rows
    figures = overviews.header_figures(identity, OverviewKind.ASSESSMENT)

    assert [w.key_of(row.id) for row in rows] == ["a2", "y2"]  # the applied one first
    assert rows[0].stages["applied"] is not None and rows[1].stages["applied"] is None
    assert shown(w, "s1_contact", OverviewKind.ASSESSMENT, applied="yes") == {"a2"}
    assert dict((key, number) for key, _title, number in figures.counts) == {
        "applied": 1,
        "accepted": 0,
        "passed": 0,
        "registered": 0,
    }


# --------------------------------------------------------------------------------------
# Refused filters
# --------------------------------------------------------------------------------------


def test_end_date_before_start_date_is_refused_at_the_filter(app, w):
    identity, filters = read(
        w,
        "s1_contact",
        submitted_from="2026-03-05",
        submitted_to="2026-03-01",
        name="申请人",
    )

    assert {key: zh(message) for key, message in filters.errors.items()} == {
        "submitted_to": "结束日期不能早于开始日期。"
    }
    assert (
        filters.values["submitted_from"] == "2026-03-05"
        and filters.values["submitted_to"] == "2026-03-01"
    )
    # Neither date is applied, the other filters are: the rows are those without the dates.
    assert set(filters.applied) == {"name"}
    assert (
        w.keys(row.id for row in overviews.page_of(identity, filters, 1, 100).rows)
        == EXPECTED["s1_contact"]
    )


@pytest.mark.parametrize(
    "value",
    [
        "2026-13-01",
        "01/03/2026",
        "2026-3-1",
        "yesterday",
        "0001-01-01",
        "9999-12-31",
        "２０２６-03-01",
    ],
)
def test_a_date_that_is_not_a_date_is_refused(app, w, value):
    _identity, filters = read(w, "s1_contact", submitted_from=value)

    assert (
        zh(filters.errors["submitted_from"])
        == "请按“年-月-日”输入日期，例如 2026-03-01。"
    )
    assert "submitted_from" not in filters.applied


@pytest.mark.parametrize(
    ("viewer", "target"),
    [
        ("a", "b"),
        ("a", "c"),
        ("a", "s1"),
        ("a2", "a"),
        ("b", "a2"),
        ("s1_contact", "c"),
        ("s1_admin", "c"),
        ("s2_contact", "a"),
    ],
)
def test_a_channel_outside_the_identitys_tree_is_refused(app, w, viewer, target):
    identity, filters = read(w, viewer, channel=str(w.channel_ids[target]))

    assert zh(filters.errors["channel"]) == "该推荐渠道不在您可查看的渠道范围内。"
    assert "channel" not in filters.applied
    assert (
        w.keys(row.id for row in overviews.page_of(identity, filters, 1, 100).rows)
        == EXPECTED[viewer]
    )


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1e3", "١٢"])
def test_a_channel_that_is_no_channel_gets_the_same_message(app, w, value):
    _identity, filters = read(w, "a", channel=value)

    assert zh(filters.errors["channel"]) == "该推荐渠道不在您可查看的渠道范围内。"


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"state": "draft"}, "state", "请从列表中选择。"),
        ({"state": "used"}, "state", "请从列表中选择。"),
        ({"level": "trainee"}, "level", "请从列表中选择。"),
        ({"consultation": "maybe"}, "consultation", "请从列表中选择。"),
        ({"field": "999999"}, "field", "请从列表中选择。"),
        ({"mobile": "139-0000"}, "mobile", "请按手机号的数字查询（最多 11 位）。"),
        ({"mobile": "139000000001"}, "mobile", "请按手机号的数字查询（最多 11 位）。"),
        ({"name": "名" * 51}, "name", "最多输入 50 个字符。"),
    ],
)
def test_values_that_cannot_be_applied_get_a_message(app, w, raw, key, message):
    identity, filters = read(w, "s1_contact", **raw)

    assert {name: zh(text) for name, text in filters.errors.items()} == {key: message}
    assert filters.applied == {}
    assert (
        w.keys(row.id for row in overviews.page_of(identity, filters, 1, 100).rows)
        == EXPECTED["s1_contact"]
    )


def test_filters_not_offered_are_ignored_and_named(app, w):
    identity, filters = read(
        w,
        "a",
        OverviewKind.ASSESSMENT,
        state="submitted",  # 工程能力评价人员总览 has no state filter
        channel_id=str(w.channel_ids["c"]),
        _flt_0_channel=str(w.channel_ids["c"]),
        society_id=str(w.society_ids["s2"]),
    )

    assert filters.ignored == ["_flt_0_channel", "channel_id", "society_id", "state"]
    assert filters.ok and filters.applied == {}
    assert w.keys(
        row.id for row in overviews.page_of(identity, filters, 1, 100).rows
    ) == {"a2"}


def test_sort_on_a_column_outside_the_allowlist_is_ignored(app, w):
    for sort in ("mobile", "applicant_id", "id; DROP TABLE x", "state"):
        _identity, filters = read(
            w, "admin", OverviewKind.ASSESSMENT, sort=sort, dir="asc"
        )
        assert (filters.sort, filters.direction) == ("submitted", "desc"), sort


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        ("submitted", "desc", ["b1", "a2", "a1", "r1", "x2"]),
        ("submitted", "asc", ["x2", "r1", "a1", "a2", "b1"]),
        ("level", "asc", ["r1", "a2", "x2", "a1", "b1"]),
        ("state", "desc", ["a1", "r1", "x2", "b1", "a2"]),  # ties: newest id first
        ("consultation", "desc", ["a2", "r1", "b1", "x2", "a1"]),
        (
            "submitted",
            "sideways",
            ["x2", "r1", "a1", "a2", "b1"],
        ),  # an unknown direction is ascending
    ],
)
def test_sort_on_allowlisted_columns(app, w, sort, direction, expected):
    identity, filters = read(
        w,
        "s1_contact",
        sort=sort,
        dir=direction,
        name="申请人",
        submitted_to="2026-03-03",
    )

    assert [
        w.key_of(row.id) for row in overviews.page_of(identity, filters, 1, 100).rows
    ] == expected


def test_pages_split_the_filtered_rows(app, w):
    identity, filters = read(w, "admin", sort="submitted", dir="asc")

    pages = [overviews.page_of(identity, filters, number, 4) for number in (1, 2, 3)]

    assert [page.total for page in pages] == [9, 9, 9]
    assert [[w.key_of(row.id) for row in page.rows] for page in pages] == [
        ["x2", "r1", "a1", "a2"],
        ["b1", "y2", "c1", "c2"],
        ["r2"],
    ]


# --------------------------------------------------------------------------------------
# Figures, choices, hooks
# --------------------------------------------------------------------------------------


def test_header_figures_of_an_enterprise_and_a_society(app, w):
    a = overviews.header_figures(identity_of(w, "a"), OverviewKind.PROSPECT)
    s1 = overviews.header_figures(identity_of(w, "s1_contact"), OverviewKind.PROSPECT)
    s1_stage = overviews.header_figures(
        identity_of(w, "s1_contact"), OverviewKind.ASSESSMENT
    )

    assert (a.codes.quota, a.codes.used, a.codes.delegated) == (4, 0, 1)
    assert {key: number for key, _title, number in a.counts} == {
        "submitted": 1,
        "approved": 1,
        "returned": 1,
        "rejected": 0,
        "withdrawn": 0,
    }
    assert a.total == 3
    assert s1.codes is None and s1.total == 6
    assert {key: number for key, _title, number in s1.counts}["rejected"] == 1
    assert s1_stage.total == 2 and [
        number for _key, _title, number in s1_stage.counts
    ] == [0, 0, 0, 0]


def test_channel_choices_are_the_identitys_tree_in_order(app, w):
    def names(key):
        return [
            label.strip("\u3000")
            for _id, label in overviews.channel_choices(identity_of(w, key))
        ]

    n = w.channel_names
    assert names("a") == [n["a"], n["a2"]]
    assert names("a2") == [n["a2"]]
    # The root, then each level-1 enterprise followed by its level-2 ones (the order of
    # the two level-1 names is the database's collation).
    assert names("s1_contact") == names("s1_admin")
    assert names("s1_contact") in (
        [n["s1"], n["a"], n["a2"], n["b"], n["b2"]],
        [n["s1"], n["b"], n["b2"], n["a"], n["a2"]],
    )
    assert names("c") == [n["c"]]
    assert set(names("admin")) == set(n.values())


def test_a_large_tree_filters_by_channel_name_instead(app, w, monkeypatch):
    monkeypatch.setattr(overviews, "CHANNEL_SELECT_MAX", 4)

    assert overviews.channel_choices(identity_of(w, "s1_contact")) is None
    assert overviews.channel_choices(identity_of(w, "a")) is not None


def test_consultation_labels_come_from_the_consultations_service(app, w, monkeypatch):
    asked = []
    wanting = {w.application_ids[k] for k in ("r1", "a2", "y2")}

    def status_for(ids):
        asked.append(sorted(ids))
        return {pk: "已安排电话咨询" for pk in ids if pk in wanting}

    monkeypatch.setattr(consultations, "status_for", status_for)
    identity, filters = read(w, "s1_contact")

    rows = overviews.page_of(identity, filters, 1, 100).rows

    assert {w.key_of(row.id): row.consultation for row in rows if row.consultation} == {
        k: "已安排电话咨询" for k in ("r1", "a2", "y2")
    }
    assert asked == [
        sorted(w.application_ids[k] for k in EXPECTED["s1_contact"])
    ]  # one call per page


@pytest.mark.parametrize("kind", list(OverviewKind))
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_allowlisted_sort_key_orders_the_same_rows(app, w, kind, direction):
    """Each key of the allowlist runs on both databases (the member-stage keys on
    their NULL placeholders too), keeps the rows and groups equal values together."""
    expected = EXPECTED["admin"] if kind == OverviewKind.PROSPECT else APPROVED
    for key in overviews.sort_columns(kind):
        identity, filters = read(w, "admin", kind, sort=key, dir=direction)
        assert (filters.sort, filters.direction) == (key, direction)

        page = overviews.page_of(identity, filters, 1, 100)

        assert w.keys(row.id for row in page.rows) == expected, key
        if key in ("field", "channel", "society", "level", "state"):
            values = [getattr(row, key) for row in page.rows]
            groups = [
                value
                for index, value in enumerate(values)
                if index == 0 or values[index - 1] != value
            ]
            assert len(groups) == len(set(values)), (key, values)


def test_channel_name_filter_counts_and_pages_alike(app, w):
    identity, filters = read(w, "s1_contact", channel_name="企业", sort="channel")

    page = overviews.page_of(identity, filters, 1, 2)

    assert (
        page.total == 3
    )  # a1, a2 (甲企业) and b1 (乙企业); the 二级 names do not match
    assert len(page.rows) == 2
    assert w.keys(row.id for row in page.rows) <= {"a1", "a2", "b1"}
