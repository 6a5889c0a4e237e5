"""The overview pages and the 导出Excel routes through the client: rows per identity,
filters and their refusals as the user reads them, the export button carrying the
filters, exports opened back, foreign rows never reachable through a filter, audit."""

import io
import re
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry
from tests.conftest import csrf_token, login
from tests.services.overview_support import (
    APPLICATIONS,
    EXPECTED,
    FULL_MOBILES,
    build_world,
    masked,
)

APPROVED = {"a2", "y2", "c1"}
TREES = {
    "a": {"a", "a2"},
    "a2": {"a2"},
    "c": {"c"},
    "s1_contact": {"s1", "a", "a2", "b", "b2"},
    "s1_admin": {"s1", "a", "a2", "b", "b2"},
}
APPLICATION_CHANNELS = {key: row[0] for key, row in APPLICATIONS.items()}
PAGES = {"prospect": "/prospect-overview/", "assessment": "/assessment-overview/"}


@pytest.fixture
def w(app, own_contexts):
    return build_world(app)


def body(response) -> str:
    return response.get_data(as_text=True)


def shown(w, page: str) -> set[str]:
    """The applications listed in the page's table."""
    return w.keys(int(pk) for pk in re.findall(r'<tr data-id="(\d+)"', page))


def as_(client, w, key):
    login(client, *w.identities[key])
    return client


def field_error(page: str, name: str) -> str:
    match = re.search(
        rf'<p class="help-block field-error" data-field="{name}">([^<]*)</p>', page
    )
    return match.group(1) if match else ""


def export_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the 导出Excel form (its filters), without the token."""
    form = re.search(
        r'<form method="post" action="[^"]*/export" id="export-form".*?</form>',
        page,
        re.S,
    ).group(0)
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    )
    fields.pop("csrf_token")
    return fields


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
        )


def rows_of(response) -> list[list]:
    assert response.status_code == 200, body(response)[:300]
    assert (
        response.mimetype
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    return [list(row) for row in sheet.iter_rows(min_row=7, values_only=True)]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_identity_opens_both_overviews_with_its_rows(app, client, w, key):
    as_(client, w, key)

    prospect = body(client.get(PAGES["prospect"]))
    assessment = body(client.get(PAGES["assessment"]))

    assert shown(w, prospect) == EXPECTED[key]
    assert shown(w, assessment) == EXPECTED[key] & APPROVED
    for k in EXPECTED[key]:
        assert (w.mobiles[k] in prospect) == (k in FULL_MOBILES[key]), k
    for k in set(w.names) - EXPECTED[key]:
        assert (
            w.names[k] not in prospect
            and w.mobiles[k] not in prospect
            and masked(w.mobiles[k]) not in prospect
        )
    # Both overviews are in the identity's menu.
    home = body(client.get("/"))
    assert (
        'href="/prospect-overview/"' in home and 'href="/assessment-overview/"' in home
    )


def test_labels_and_figures_as_the_manual_names_them(app, client, w):
    as_(client, w, "a")

    page = body(client.get(PAGES["prospect"]))
    assessment = body(client.get(PAGES["assessment"]))

    for text in (
        "拟参加工程能力评价人员总览",
        "被分配推荐码数量",
        "已使用推荐码数量",
        "导出Excel",
        "查询",
        "重置",
        "提交日期起",
        "提交日期止",
    ):
        assert text in page, text
    assert re.search(r'id="allocated-link"[^>]*>4</a>', page) and re.search(
        r'id="used-link"[^>]*>0</a>', page
    )
    assert re.search(r'data-key="total">人数 <strong>3</strong>', page)
    for text in (
        "工程能力评价人员总览",
        "是否提交申请",
        "是否被受理",
        "是否通过评价",
        "是否注册",
    ):
        assert text in assessment, text
    assert (
        assessment.count('<td class="stage"') == 4
        and '否<br><small class="text-muted">—</small>' in assessment
    )


def test_the_channel_select_offers_the_identitys_tree_only(app, client, w):
    as_(client, w, "a")

    page = body(client.get(PAGES["prospect"]))

    select_html = re.search(
        r'<select class="form-control" id="f-channel" name="channel">.*?</select>',
        page,
        re.S,
    ).group(0)
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', select_html)}
    assert offered == {w.channel_ids["a"], w.channel_ids["a2"]}


def test_filters_on_the_page_and_the_export_button_carries_them(app, client, w):
    as_(client, w, "s1_contact")
    query = {
        "name": "申请人",
        "level": "professional",
        "consultation": "yes",
        "submitted_from": "2026-03-01",
        "sort": "submitted",
        "dir": "asc",
    }

    page = body(client.get(PAGES["prospect"], query_string=query))

    assert shown(w, page) == {"r1", "a2"}
    assert export_fields(page) == query
    assert 'value="申请人"' in page and '<option value="professional" selected>' in page
    # Sorting keeps the filters.
    link = (
        re.search(r'<th data-sort="name"><a href="([^"]+)"', page)
        .group(1)
        .replace("&amp;", "&")
    )
    assert dict(parse_qsl(urlsplit(link).query)) == {
        **query,
        "sort": "name",
        "dir": "asc",
    }


def test_end_date_before_start_date_is_refused_at_the_filter(app, client, w):
    as_(client, w, "s1_contact")

    page = body(
        client.get(
            PAGES["prospect"],
            query_string={
                "submitted_from": "2026-03-05",
                "submitted_to": "2026-03-01",
                "name": "申请人",
            },
        )
    )

    assert field_error(page, "submitted_to") == "结束日期不能早于开始日期。"
    assert (
        'value="2026-03-05"' in page and 'value="2026-03-01"' in page
    )  # the form is kept
    assert shown(w, page) == EXPECTED["s1_contact"]  # the dates are not applied
    assert re.search(
        r'<button type="submit" class="btn btn-success" id="export" disabled>', page
    )
    assert "请先修正筛选条件再导出。" in page


def test_a_foreign_channel_is_refused_and_shows_no_foreign_row(app, client, w):
    as_(client, w, "a")

    for target in ("b", "c", "b2", "s1"):
        page = body(
            client.get(
                PAGES["prospect"], query_string={"channel": w.channel_ids[target]}
            )
        )
        assert field_error(page, "channel") == "该推荐渠道不在您可查看的渠道范围内。"
        assert shown(w, page) == EXPECTED["a"]
        if (
            target != "s1"
        ):  # (the society's own channel bears its name: A's applicants are assessed by it)
            assert w.channel_names[target] not in page


def test_filters_not_offered_are_ignored_and_said_so(app, client, w):
    as_(client, w, "a2")

    page = body(
        client.get(
            PAGES["assessment"],
            query_string={
                "state": "submitted",
                "channel_id": w.channel_ids["c"],
                "_flt_0_channel": w.channel_ids["b"],
            },
        )
    )

    assert (
        "以下筛选条件在此页面不可用，已忽略：_flt_0_channel, channel_id, state" in page
    )
    assert shown(w, page) == set()  # A2 has no one approved; nothing foreign either
    page = body(
        client.get(
            PAGES["prospect"],
            query_string={"society_id": w.society_ids["s2"], "sort": "mobile"},
        )
    )
    assert "已忽略：society_id" in page and shown(w, page) == {"x2"}


def test_export_holds_exactly_the_filtered_rows(app, client, w):
    as_(client, w, "s1_contact")
    page = body(
        client.get(
            PAGES["prospect"],
            query_string={"field": w.field_ids["civil"], "consultation": "no"},
        )
    )
    fields = export_fields(page)

    response = client.post(
        "/prospect-overview/export",
        data={"csrf_token": csrf_token(client, PAGES["prospect"]), **fields},
    )

    rows = rows_of(response)
    assert len(rows) == len(shown(w, page)) == 2  # the filtered rows, none twice
    assert (
        {row[0] for row in rows}
        == {w.names[k] for k in shown(w, page)}
        == {w.names["a1"], w.names["b1"]}
    )
    assert all(
        row[1] == masked(w.mobiles[k])
        for row, k in zip(
            sorted(rows), sorted(["a1", "b1"], key=lambda k: w.names[k]), strict=True
        )
    )
    assert audit_count(app, "export.prospects") == 1


def test_assessment_export_through_the_route(app, client, w):
    as_(client, w, "s1_admin")

    response = client.post(
        "/assessment-overview/export",
        data={"csrf_token": csrf_token(client, PAGES["assessment"]), "passed": "no"},
    )

    rows = rows_of(response)
    assert len(rows) == len(EXPECTED["s1_admin"] & APPROVED)
    assert {row[0] for row in rows} == {
        w.names[k] for k in EXPECTED["s1_admin"] & APPROVED
    }
    assert audit_count(app, "export.assessments") == 1


@pytest.mark.parametrize("viewer", ["a", "a2", "s1_contact", "s1_admin", "c"])
def test_foreign_rows_never_reach_an_export(app, client, w, viewer):
    """Foreign channel ids in the form are refused (nothing exported, nothing audited);
    filters in the export URL are not read at all; ignored keys change nothing."""
    as_(client, w, viewer)
    token = csrf_token(client, PAGES["prospect"])

    for target in w.channel_ids:
        response = client.post(
            "/prospect-overview/export",
            data={"csrf_token": token, "channel": w.channel_ids[target]},
        )
        if target not in TREES[viewer]:
            assert response.status_code == 302, target
            location = urlsplit(response.headers["Location"])
            assert location.path == "/prospect-overview/"
            assert ("channel", str(w.channel_ids[target])) in parse_qsl(location.query)
            continue
        exported = [row[0] for row in rows_of(response)]
        names = set(exported)
        assert len(exported) == len(names), target
        assert names == {
            w.names[k] for k in EXPECTED[viewer] if APPLICATION_CHANNELS[k] == target
        }, target
    url = "/prospect-overview/export?" + "&".join(
        f"channel={pk}" for pk in w.channel_ids.values()
    )
    data = {
        "csrf_token": token,
        "channel_id": w.channel_ids["c"],
        "society_id": w.society_ids["s2"],
    }
    exported = [
        row[0] for row in rows_of(client.post(url + "&society_id=1&name=x", data=data))
    ]
    assert len(exported) == len(EXPECTED[viewer])
    assert set(exported) == {w.names[k] for k in EXPECTED[viewer]}
    assert audit_count(app, "export.prospects") == 1 + sum(
        1 for target in w.channel_ids if target in TREES[viewer]
    )


def test_refused_export_redirects_to_the_messages_and_audits_nothing(app, client, w):
    as_(client, w, "a")
    token = csrf_token(client, PAGES["prospect"])

    response = client.post(
        "/prospect-overview/export",
        data={
            "csrf_token": token,
            "channel": w.channel_ids["c"],
            "submitted_from": "2026-03-05",
            "submitted_to": "2026-03-01",
        },
    )
    page = body(client.get(response.headers["Location"]))

    assert response.status_code == 302
    assert audit_count(app, "export.prospects") == 0
    assert "请先修正筛选条件再导出。" in page
    assert field_error(page, "channel") == "该推荐渠道不在您可查看的渠道范围内。"
    assert field_error(page, "submitted_to") == "结束日期不能早于开始日期。"
    assert w.channel_names["c"] not in page


def test_export_needs_a_post_with_a_token(app, client, w):
    as_(client, w, "a")

    assert client.get("/prospect-overview/export").status_code == 405
    response = client.post("/prospect-overview/export", data={})
    assert response.status_code in (302, 303, 400) and not response.mimetype.endswith(
        "sheet"
    )
    assert audit_count(app, "export.prospects") == 0


def test_code_list_export(app, client, w):
    as_(client, w, "a")
    page = body(client.get("/codes/?state=available"))
    assert (
        "导出Excel" in page
        and '<input type="hidden" name="state" value="available">' in page
    )

    response = client.post(
        "/codes/export",
        data={"csrf_token": csrf_token(client, "/codes/"), "state": "available"},
    )

    assert len(rows_of(response)) == 3
    assert (
        client.post(
            "/codes/export",
            data={"csrf_token": csrf_token(client, "/codes/"), "state": "nope"},
        ).status_code
        == 400
    )
    assert audit_count(app, "export.codes") == 1
    as_(client, w, "s1_contact")
    assert (
        client.post(
            "/codes/export", data={"csrf_token": csrf_token(client, PAGES["prospect"])}
        ).status_code
        == 403
    )
    assert audit_count(app, "export.codes") == 1


def test_export_audit_entries_have_readable_titles(app, client, w):
    from app.services.audit import action_title

    as_(client, w, "b")
    client.post(
        "/prospect-overview/export",
        data={"csrf_token": csrf_token(client, PAGES["prospect"]), "name": "申请人"},
    )

    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "export.prospects")
        )
        assert (entry.actor_id, entry.identity_id) == w.identities["b"]
        assert entry.after == {
            "overview": "prospect",
            "filters": {"姓名": "申请人"},
            "rows": 2,
        }
        with app.test_request_context():
            assert action_title(entry.action) == "导出拟参加工程能力评价人员"
