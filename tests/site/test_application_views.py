"""The application pages through the test client: the route choice, the form refilled
exactly as typed with each message at its field, an expired form, the link from the
SMS, the JSON of the page's script, 个人中心, and the backend pages that follow the
application (overview, used codes)."""

import html
import re

import pytest
from flask import globals as flask_globals
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import CodeState, IdentityKind, Message, ProspectiveApplication
from app.services import applications
from tests.conftest import csrf_token, login
from tests.site.application_support import (
    PRACTICE_100,
    application_of,
    build_world,
    code_row,
    text_of,
)

FORM_URL = "/apply/application"


@pytest.fixture
def w(app, world):
    """The world, then every request in its own app context and session (as behind a
    real server); test code opens its own with ``with app.app_context():``."""
    built = build_world(world)
    ctx = flask_globals._cv_app.get(None)
    db.session.remove()
    ctx.pop()
    yield built
    ctx.push()


def _page(response) -> str:
    return response.get_data(as_text=True)


def _field_errors(page: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, message in re.findall(
        r'class="field-error" id="[\w-]+" data-field="(\w+)" role="alert">([^<]*)<',
        page,
    ):
        errors.setdefault(name, []).append(html.unescape(message))
    return errors


def _value(page: str, name: str) -> str | None:
    """The value an input or textarea shows, unescaped."""
    match = re.search(
        rf'<input type="[a-z]+" id="{name}" name="{name}"[^>]*? value="([^"]*)"', page
    ) or re.search(
        rf'<input type="hidden" id="{name}" name="{name}" value="([^"]*)"', page
    )
    if match:
        return html.unescape(match.group(1))
    match = re.search(
        rf'<textarea id="{name}" name="{name}"[^>]*>\n(.*?)</textarea>', page, re.S
    )
    return html.unescape(match.group(1)) if match else None


def _selected(page: str, name: str) -> str | None:
    select_html = re.search(
        rf'<select id="{name}" name="{name}".*?</select>', page, re.S
    ).group(0)
    match = re.search(r'<option value="([^"]*)"[^>]* selected>', select_html)
    return match.group(1) if match else None


def _post(
    client,
    data: dict,
    *,
    action: str = "submit",
    url: str = FORM_URL + "?route=enterprise",
):
    token = csrf_token(client, url)
    return client.post(FORM_URL, data={"csrf_token": token, "action": action, **data})


def _in_app(app, function):
    with app.app_context():
        return function()


# --- pages --------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_and_back(client, w):
    response = client.get(FORM_URL)

    assert response.status_code == 302
    assert response.location == "/apply/login?next=/apply/application"


def test_first_visit_offers_the_two_routes(client, w):
    login(client, w.applicants[0])

    page = _page(client.get(FORM_URL))

    assert (
        'name="route" value="society"' in page
        and 'name="route" value="enterprise"' in page
    )
    assert text_of(_l("Confirm")) in page


@pytest.mark.parametrize("route", ["society", "enterprise"])
def test_form_has_the_manuals_fields_counters_and_buttons(client, w, route):
    login(client, w.applicants[0])

    page = _page(client.get(f"{FORM_URL}?route={route}"))

    labels = [
        "姓名",
        "手机号",
        "邮箱",
        "国内",
        "国外",
        "当前所在国家(地区)",
        "参与计划参与海外工程项目名称",
        "项目所在国家(地区)",
        "意向评价学会",
        "拟申报级别",
        "工程实践经历",
        "是否需要咨询指导",
        "返回",
        "保存",
        "提交审核",
    ]
    labels += (
        ["推荐学会", "推荐渠道", "全国学会", "地方工程学会"]
        if route == "society"
        else ["推荐码", "所在项目"]
    )
    missing = [label for label in labels if label not in page]
    assert missing == []
    for limit in ("0 / 50", "0 / 11", "0 / 200", "0 / 300"):
        assert limit in page
    assert "请写出工程实践经历。字数限制：至少100字，最多300字。" in page
    assert "见习" not in page
    assert "application.js" in page


def test_refused_submit_shows_each_message_at_its_field_and_keeps_what_was_typed(
    app, client, w
):
    login(client, w.applicants[0])
    typed = w.form(
        name="𠀋" + "张" * 50,
        mobile="１３９００００１１１１",
        email="  zhang@example.com ",
        practice="工" * 299 + "\r\n" + "程",
        level="associate",
        employer='  中建八局 <第一> & "分公司"',
        referral_code=w.codes[0].lower(),
        project_id=str(w.foreign_project_id),
        project_name="中煤印尼矿区项目",
    )

    response = _post(client, typed)

    page = _page(response)
    assert response.status_code == 200
    assert _field_errors(page) == {
        "name": [
            text_of(
                _l(
                    "Enter %(minimum)d to %(maximum)d characters (now %(length)d).",
                    minimum=1,
                    maximum=50,
                    length=51,
                )
            )
        ],
        "mobile": [text_of(_l("Use half-width digits (0-9) for the mobile number."))],
        "practice": [
            text_of(
                _l(
                    "Enter %(minimum)d to %(maximum)d characters (now %(length)d).",
                    minimum=100,
                    maximum=300,
                    length=301,
                )
            )
        ],
        "level": [text_of(_l("Choose Professional or Senior engineering member."))],
        "project_name": [
            text_of(_l("Choose a project of your enterprise from the suggestions."))
        ],
    }
    for name in (
        "name",
        "mobile",
        "email",
        "employer",
        "referral_code",
        "project_name",
        "project_id",
    ):
        assert _value(page, name) == typed[name], name
    assert _value(page, "practice") == typed["practice"]
    assert _selected(page, "level") is None
    assert _selected(page, "field_id") == str(w.field_id)
    assert 'data-count-for="name" data-max="50" aria-live="polite">51 / 50' in page
    assert (
        'data-count-for="practice" data-max="300" aria-live="polite">301 / 300' in page
    )
    with app.app_context():
        assert code_row(w.codes[0]).state == CodeState.AVAILABLE
        assert application_of(w.applicants[0]).state == "draft"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            "missing",
            _l("This referral code does not exist. Check it with your enterprise."),
        ),
        ("used", _l("This referral code has already been used.")),
        ("revoked", _l("This referral code has been withdrawn by its enterprise.")),
        (
            "disabled",
            _l("The channel of this referral code is disabled; it cannot be used now."),
        ),
    ],
)
def test_code_problems_are_shown_at_the_code(app, client, w, spoil, message):
    from app.db import write_transaction
    from app.models import Channel
    from app.services import channels

    code = "ABCDEFGHJKMN" if spoil == "missing" else w.codes[2]
    with app.app_context():
        if spoil == "used":
            applications.submit(
                w.applicants[1], w.form(referral_code=code, mobile="13900002222")
            )
        elif spoil == "revoked":
            with write_transaction():
                code_row(code).state = CodeState.REVOKED.value
        elif spoil == "disabled":
            channels.set_enabled(db.session.get(Channel, w.ent_id), False, actor=None)
    login(client, w.applicants[0])

    page = _page(_post(client, w.form(referral_code=code, project_id="")))

    assert _field_errors(page) == {"referral_code": [text_of(message)]}
    assert _value(page, "referral_code") == code
    assert (
        text_of(
            _l(
                "Your application was not submitted. Correct the fields marked below; the fields not marked were kept as a draft."
            )
        )
        in page
    )


def test_code_won_by_someone_else_a_moment_earlier_keeps_the_form(app, client, w):
    login(client, w.applicants[0])
    token = csrf_token(client, FORM_URL + "?route=enterprise")
    with app.app_context():  # the other applicant submits between page load and submit
        applications.submit(w.applicants[1], w.form(mobile="13900002222"))

    page = _page(
        client.post(
            FORM_URL,
            data={"csrf_token": token, "action": "submit", **w.form(name="王五")},
        )
    )

    assert _field_errors(page) == {
        "referral_code": [text_of(_l("This referral code has already been used."))]
    }
    assert _value(page, "name") == "王五"
    with app.app_context():
        kept = application_of(w.applicants[0])
        assert (kept.state, kept.name, kept.draft_code) == ("draft", "王五", w.codes[0])


def test_expired_form_comes_back_filled_with_a_request_to_submit_again(app, client, w):
    login(client, w.applicants[0])
    token = csrf_token(client, FORM_URL + "?route=enterprise")
    typed = w.form(name="𠀋张三", practice="第一段\r\n" + PRACTICE_100)
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is now too old

    response = client.post(
        FORM_URL, data={"csrf_token": token, "action": "submit", **typed}
    )

    page = _page(response)
    assert response.status_code == 400
    assert text_of(_l("The form had expired. Please submit it again.")) in page
    assert (
        _value(page, "name") == "𠀋张三"
        and _value(page, "practice") == typed["practice"]
    )
    with app.app_context():
        assert application_of(w.applicants[0]) is None
        assert code_row(w.codes[0]).state == CodeState.AVAILABLE

    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    again = client.post(
        FORM_URL, data={"csrf_token": fresh, "action": "submit", **typed}
    )
    assert again.status_code == 302
    with app.app_context():
        assert application_of(w.applicants[0]).state == "submitted"


def test_missing_token_is_treated_as_expired_and_writes_nothing(app, client, w):
    login(client, w.applicants[0])

    response = client.post(FORM_URL, data={"action": "save", **w.form()})

    assert response.status_code == 400
    assert _value(_page(response), "name") == "张三"
    with app.app_context():
        assert application_of(w.applicants[0]) is None


def test_save_keeps_a_draft_and_shows_it_again(app, client, w):
    login(client, w.applicants[0])

    response = _post(
        client,
        {
            "route": "enterprise",
            "name": "李四",
            "referral_code": w.codes[1],
            "practice": "写到一半",
        },
        action="save",
    )

    assert response.status_code == 302 and response.location == FORM_URL
    page = _page(client.get(FORM_URL))
    assert (
        _value(page, "name"),
        _value(page, "referral_code"),
        _value(page, "practice"),
    ) == ("李四", w.codes[1], "写到一半")
    assert "中建八局" in page  # the code's enterprise, checked without JavaScript
    with app.app_context():
        assert application_of(w.applicants[0]).state == "draft"
        assert code_row(w.codes[1]).state == CodeState.AVAILABLE


def test_back_leaves_without_saving(app, client, w):
    login(client, w.applicants[0])

    response = _post(client, w.form(), action="back")

    assert response.status_code == 302 and response.location == "/apply/center"
    with app.app_context():
        assert application_of(w.applicants[0]) is None


def test_submit_reaches_the_society_and_my_centre_shows_state_and_history(
    app, client, w
):
    login(client, w.applicants[0])

    response = _post(client, w.form())

    assert response.status_code == 302 and response.location == "/apply/center"
    centre = _page(client.get("/apply/center"))
    assert "已提交" in centre and "中建八局" in centre and "中国土木工程学会" in centre
    assert re.search(r'<table class="list history">.*已提交', centre, re.S)
    shown = _page(client.get(FORM_URL))
    assert "已提交" in shown and PRACTICE_100 in shown and 'name="csrf_token"' in shown
    assert 'id="application-form"' not in shown  # read-only now
    with app.app_context():
        application = application_of(w.applicants[0])
        assert (application.state, application.assessing_society_id) == (
            "submitted",
            w.national_id,
        )
        assert (
            db.session.scalar(
                select(func.count()).where(Message.account_id == w.applicants[0])
            )
            == 1
        )


def test_withdraw_from_my_centre_releases_the_code(app, client, w):
    login(client, w.applicants[0])
    _post(client, w.form())
    with app.app_context():
        application_id = application_of(w.applicants[0]).id

    token = csrf_token(client, "/apply/center")
    response = client.post(
        f"/apply/center/{application_id}/withdraw", data={"csrf_token": token}
    )

    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.get(ProspectiveApplication, application_id).state == "withdrawn"
        )
        assert code_row(w.codes[0]).state == CodeState.AVAILABLE
    assert "已撤回" in _page(client.get("/apply/center"))


def test_returned_application_is_edited_and_resubmitted(app, client, w):
    login(client, w.applicants[0])
    _post(client, w.form())
    with app.app_context():
        application = application_of(w.applicants[0])
        code_id = application.referral_code_id
        applications.transition(
            application, "return", actor_id=None, reason="请补充海外项目经历"
        )

    page = _page(client.get(FORM_URL))
    assert "请补充海外项目经历" in page
    assert re.search(r'id="referral_code" name="referral_code"[^>]*readonly', page)
    response = _post(
        client, w.form(name="张三丰", referral_code=w.codes[1]), url=FORM_URL
    )

    assert response.status_code == 302
    with app.app_context():
        application = application_of(w.applicants[0])
        assert (application.state, application.name, application.referral_code_id) == (
            "submitted",
            "张三丰",
            code_id,
        )
        assert code_row(w.codes[1]).state == CodeState.AVAILABLE
    centre = _page(client.get("/apply/center"))
    assert "退回修改" in centre and "请补充海外项目经历" in centre


def test_society_route_form_lists_societies_by_kind(client, w):
    login(client, w.applicants[0])

    page = _page(client.get(f"{FORM_URL}?route=society"))

    assert re.search(
        r'<optgroup label="[^"]+" data-kind="national">.*中国土木工程学会.*</optgroup>',
        page,
        re.S,
    )
    assert re.search(
        r'<optgroup label="[^"]+" data-kind="local">\s*<option value="\d+" data-kind="local">广东省工程师学会',
        page,
    )


def test_society_route_submits_through_the_client(app, client, w):
    login(client, w.applicants[0])

    response = _post(client, w.form("society"), url=f"{FORM_URL}?route=society")

    assert response.status_code == 302
    with app.app_context():
        application = application_of(w.applicants[0])
        assert (application.route, application.channel_id, application.state) == (
            "society",
            w.local_root_id,
            "submitted",
        )


# --- the link from the SMS -----------------------------------------------------------------


def test_code_link_sends_anonymous_visitors_to_login_with_the_link(client, w):
    response = client.get(f"/apply/code/{w.codes[0]}")

    assert response.status_code == 302
    assert response.location == f"/apply/login?next=/apply/code/{w.codes[0]}"


def test_code_link_opens_the_enterprise_route_with_the_code(client, w):
    login(client, w.applicants[0])

    response = client.get(f"/apply/code/{w.codes[0].lower()}", follow_redirects=True)

    page = _page(response)
    assert _value(page, "referral_code") == w.codes[0]
    assert 'name="route" value="enterprise"' in page
    assert re.search(r'id="referral_code-status"[^>]*>[^<]*中建八局', page)


def test_code_link_does_not_replace_a_submitted_applications_code(app, client, w):
    login(client, w.applicants[0])
    _post(client, w.form())

    response = client.get(f"/apply/code/{w.codes[1]}", follow_redirects=True)

    assert w.codes[1] not in _page(response)
    with app.app_context():
        assert code_row(w.codes[1]).state == CodeState.AVAILABLE


# --- JSON for the page's script ----------------------------------------------------------------


def test_code_check_tells_the_enterprise_name_only(client, w):
    login(client, w.applicants[0])

    body = client.get(
        f"/apply/application/code?code={w.sub_codes[0].lower()}"
    ).get_json()

    assert body == {"ok": True, "enterprise": w.sub_name}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "ABCDEFGHJKMN",
            _l("This referral code does not exist. Check it with your enterprise."),
        ),
        ("", _l("Enter the referral code from your enterprise.")),
        (
            "x" * 500,
            _l("This referral code does not exist. Check it with your enterprise."),
        ),
    ],
    ids=["missing", "empty", "long"],
)
def test_code_check_refusals(client, w, code, message):
    login(client, w.applicants[0])

    body = client.get("/apply/application/code", query_string={"code": code}).get_json()

    assert body == {"ok": False, "message": text_of(message)}


def test_code_check_of_a_used_code_names_no_enterprise(app, client, w):
    with app.app_context():
        applications.submit(w.applicants[1], w.form(mobile="13900002222"))
    login(client, w.applicants[0])

    body = client.get(f"/apply/application/code?code={w.codes[0]}").get_json()

    assert body == {
        "ok": False,
        "message": text_of(_l("This referral code has already been used.")),
    }


def test_json_endpoints_need_login(client, w):
    for url in (
        "/apply/application/code?code=X",
        "/apply/application/projects?code=X",
        "/apply/application/societies?field_id=1",
    ):
        response = client.get(url)
        assert response.status_code == 401 and response.get_json()["ok"] is False


def test_code_check_is_rate_limited_per_account(app, client, w):
    app.config["SITE_RATE_LIMITS"] = {"code": "3/minute"}
    login(client, w.applicants[0])

    statuses = [
        client.get(f"/apply/application/code?code=ABCDEFGHJKM{n}").status_code
        for n in range(2, 7)
    ]

    assert statuses == [200, 200, 200, 429, 429]
    login(client, w.applicants[1])
    assert client.get("/apply/application/code?code=ABCDEFGHJKMN").status_code == 200


def test_project_autocomplete_over_the_codes_enterprise_and_parent(client, w):
    login(client, w.applicants[0])

    own = client.get(
        "/apply/application/projects", query_string={"code": w.codes[0], "q": ""}
    ).get_json()
    sub = client.get(
        "/apply/application/projects",
        query_string={"code": w.sub_codes[0], "q": "马来"},
    ).get_json()
    foreign = client.get(
        "/apply/application/projects",
        query_string={"code": w.foreign_codes[0], "q": "雅万"},
    ).get_json()
    bad = client.get(
        "/apply/application/projects", query_string={"code": "ABCDEFGHJKMN", "q": ""}
    ).get_json()

    assert [p["id"] for p in own["projects"]] == [w.ent_project_id]
    assert [p["name"] for p in sub["projects"]] == ["南方公司马来西亚东海岸铁路"]
    assert foreign["projects"] == [] and bad["projects"] == []
    assert set(own["projects"][0]) == {"id", "name", "country", "country_name"}


def test_society_list_follows_the_field(client, w):
    login(client, w.applicants[0])

    civil = client.get(f"/apply/application/societies?field_id={w.field_id}").get_json()
    mining = client.get(
        f"/apply/application/societies?field_id={w.other_field_id}"
    ).get_json()
    junk = client.get("/apply/application/societies?field_id=99999999999").get_json()

    assert civil["societies"] == [{"id": w.national_id, "name": "中国土木工程学会"}]
    assert mining["societies"] == [{"id": w.national_other_id, "name": "中国煤炭学会"}]
    assert junk["societies"] == []


# --- the backend follows the application ----------------------------------------------------------


def _contact(app, world, kind, **where):
    from app.models import Channel, Society

    with app.app_context():
        if "channel_id" in where:
            return world.account(
                "企业联系人",
                "13600000001",
                kind,
                channel=db.session.get(Channel, where["channel_id"]),
            )
        return world.account(
            "学会联系人",
            "13600000002",
            kind,
            society=db.session.get(Society, where["society_id"]),
        )


def test_enterprise_contact_sees_the_application_and_who_used_the_code(
    app, client, world, w
):
    login(client, w.applicants[0])
    _post(client, w.form(name="赵六申请人"))
    account_id, identity_id = _contact(
        app, world, IdentityKind.ENTERPRISE_CONTACT, channel_id=w.ent_id
    )
    client.get("/apply/logout")
    with client.session_transaction() as session:
        session.clear()
    login(client, account_id, identity_id)

    overview = _page(client.get("/prospect-overview/"))
    used = _page(client.get("/codes/?state=used"))

    assert "赵六申请人" in overview and "已提交" in overview
    assert re.search(
        rf'data-code="{w.codes[0]}" data-state="used">.*?赵六申请人', used, re.S
    )


def test_society_contact_sees_applications_of_its_enterprises_and_its_own_channel(
    app, client, world, w
):
    login(client, w.applicants[0])
    _post(client, w.form(name="赵六申请人"))
    client2 = app.test_client()
    login(client2, w.applicants[1])
    _post(
        client2,
        w.form(
            "society",
            name="钱七申请人",
            mobile="13900002222",
            society_kind="national",
            recommending_society_id=str(w.national_id),
        ),
        url=f"{FORM_URL}?route=society",
    )
    account_id, identity_id = _contact(
        app, world, IdentityKind.SOCIETY_CONTACT, society_id=w.national_id
    )
    contact = app.test_client()
    login(contact, account_id, identity_id)

    overview = _page(contact.get("/prospect-overview/"))

    assert "赵六申请人" in overview and "钱七申请人" in overview


# --- the project without JavaScript -------------------------------------------------------


def _add_projects(app, channel_id: int, *names: str) -> list[int]:
    from tests.site.application_support import _project

    with app.app_context():
        return [_project(channel_id, name) for name in names]


def test_typed_full_project_name_without_suggestion_is_taken(app, client, w):
    login(client, w.applicants[0])

    response = _post(
        client,
        w.form(project_id="", project_name=" 雅万高铁jakarta项目 "),
        action="save",
    )

    assert response.status_code == 302
    assert _in_app(app, lambda: application_of(w.applicants[0]).project_id) == (
        w.ent_project_id
    )


def test_typed_part_matching_one_project_takes_it(app, client, w):
    login(client, w.applicants[0])

    _post(client, w.form(project_id="", project_name="雅万"), action="save")

    assert _in_app(app, lambda: application_of(w.applicants[0]).project_id) == (
        w.ent_project_id
    )


def test_typed_part_matching_several_lists_them_and_a_choice_is_kept(app, client, w):
    first, second = _add_projects(app, w.ent_id, "印尼雅加达港口项目", "印尼泗水电站项目")
    login(client, w.applicants[0])
    typed = w.form(project_id="", project_name="印尼")

    page = _page(_post(client, typed))

    assert _field_errors(page) == {
        "project_name": [
            text_of(_l("Several projects match “%(name)s”. Choose yours below.", name="印尼"))
        ]
    }
    # by name: 泗 (U+6CD7) sorts before 雅 (U+96C5)
    assert re.findall(r'name="project_choice" value="(\d+)"', page) == [
        str(second),
        str(first),
    ]
    assert "中煤印尼矿区项目" not in page  # another enterprise's project is never listed
    assert _value(page, "project_name") == "印尼"
    assert _in_app(app, lambda: application_of(w.applicants[0]).state) == "draft"

    # The choice is kept when another field is refused, then submitted with it.
    page = _page(
        _post(client, {**typed, "project_choice": str(second), "practice": "太短"})
    )
    assert list(_field_errors(page)) == ["practice"]
    assert _value(page, "project_id") == str(second)
    response = _post(client, {**typed, "project_id": str(second)})
    assert response.status_code == 302
    application = _in_app(app, lambda: application_of(w.applicants[0]))
    assert (application.state, application.project_id) == ("submitted", second)


def test_typed_name_matching_no_project_is_refused_at_the_field(app, client, w):
    login(client, w.applicants[0])

    page = _page(
        _post(client, w.form(project_id="", project_name="中煤印尼矿区项目"), action="save")
    )

    assert _field_errors(page) == {
        "project_name": [
            text_of(
                _l(
                    "No project of your enterprise is named like “%(name)s”. Check the name, or leave it empty.",
                    name="中煤印尼矿区项目",
                )
            )
        ]
    }
    assert 'name="project_choice"' not in page
    assert _in_app(app, lambda: application_of(w.applicants[0])) is None


def test_typed_project_without_usable_code_is_refused(app, client, w):
    login(client, w.applicants[0])

    page = _page(
        _post(
            client,
            w.form(referral_code="ABCDEFGHJKMN", project_id="", project_name="雅万"),
            action="save",
        )
    )

    assert _field_errors(page)["project_name"] == [
        text_of(
            _l("Enter a usable referral code first: the projects are those of its enterprise.")
        )
    ]
    assert 'name="project_choice"' not in page
