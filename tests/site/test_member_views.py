"""注册工程会员申请 on the applicant site (views/site/members.py): who may open it, the
steps before the form, each section saved on its own with its messages at the fields,
the photo (kept, offered scaled or cropped, refused), the preview, the PDF copy, 提交
and a returned application submitted again, on both databases.

Every refusal is checked with its exact Chinese message at its field, the form shown
again as typed, and the database left as it must be."""

import datetime as dt
import html
import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import MemberApplication, MemberSection
from app.services import accounts, members
from tests.conftest import csrf_token, login
from tests.services.member_support import (
    basic,
    cached_world,
    filled,
    fresh,
    member_snapshot,
    opened,
    resident_id,
    rows,
)

BLUE, RED, WHITE = (40, 90, 200), (220, 30, 30), (250, 250, 250)
SECTION_URL = "/apply/member/form/{}"


@pytest.fixture
def w(app, world, tmp_path, tmp_path_factory):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return cached_world(app, world, tmp_path_factory)


@pytest.fixture
def a1(client, w):
    """The first applicant of S1 (professional), logged in."""
    applicant = w.applicant("a1")
    login(client, applicant.account_id)
    return applicant


# --- helpers ------------------------------------------------------------------------


def picture(size=(413, 626), background=BLUE) -> Image.Image:
    """An ID-photo-like picture: a plain background, a dark head and shoulders."""
    image = Image.new("RGB", size, background)
    width, height = size
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width * 0.3, height * 0.15, width * 0.7, height * 0.55), fill=(60, 45, 40)
    )
    draw.rectangle(
        (width * 0.15, height * 0.6, width * 0.85, height), fill=(30, 30, 35)
    )
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def field_error(page: str, name: str) -> str | None:
    """The message shown at field ``name`` (None when there is none)."""
    match = re.search(
        rf'<p class="field-error" id="[^"]*" data-field="{re.escape(name)}" role="alert">(.*?)</p>',
        page,
        re.S,
    )
    return html.unescape(match.group(1)).strip() if match else None


def input_value(page: str, name: str) -> str | None:
    """The value an input named ``name`` shows."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def selected(page: str, name: str) -> str | None:
    """The selected option of the select named ``name``."""
    select_html = re.search(
        rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S
    )
    option = re.search(r'<option value="([^"]*)"[^>]*\bselected', select_html.group(1))
    return option.group(1) if option else None


def post_section(
    client, key: str, data: dict, *, action="save", photo=None, token=None
):
    url = SECTION_URL.format(key)
    form = {"csrf_token": token or csrf_token(client, url), "action": action, **data}
    if photo is not None:
        form["photo"] = (io.BytesIO(photo[0]), photo[1])
        return client.post(url, data=form, content_type="multipart/form-data")
    return client.post(url, data=form)


def flat_rows(key: str, count: int = 1, **changes) -> dict:
    """``rows(key)`` as a form posts it: rows-<index>-<field>."""
    return {
        f"rows-{index}-{name}": value
        for index, row in enumerate(rows(key, count, **changes)["rows"])
        for name, value in row.items()
    }


def shown_rows(page: str) -> int:
    """The rows the page shows (not the template members.js copies)."""
    return re.sub(r"<template.*?</template>", "", page, flags=re.S).count("data-row>")


def upload_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return (
        sorted(path for path in root.rglob("*") if path.is_file())
        if root.exists()
        else []
    )


def section_row(application_id: int, key: str) -> MemberSection | None:
    db.session.rollback()
    return db.session.scalar(
        select(MemberSection).where(
            MemberSection.application_id == application_id, MemberSection.key == key
        )
    )


# --- who may open it ------------------------------------------------------------------

MEMBER_URLS = [
    "/apply/member",
    "/apply/member/specialty",
    "/apply/member/level",
    "/apply/member/instructions",
    "/apply/member/form",
    "/apply/member/form/basic",
    "/apply/member/preview",
    "/apply/member/pdf",
]


@pytest.mark.parametrize("url", MEMBER_URLS)
def test_member_pages_without_permission_say_it_is_not_open(app, client, w, url):
    with write_transaction():
        account_id = accounts.create_account(
            name="无权限",
            email="nobody@example.com",
            mobile="13922220000",
            password="x-pass-123",
        ).id
    login(client, account_id)

    response = client.get(url)

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "您的注册工程会员申请尚未开通" in page
    assert w.applicant("a1").name not in page
    assert (
        db.session.scalar(
            select(MemberApplication).where(
                MemberApplication.applicant_id == account_id
            )
        )
        is None
    )


@pytest.mark.parametrize("url", MEMBER_URLS[:3])
def test_member_pages_send_anonymous_visitors_to_login(client, w, url):
    response = client.get(url)

    assert response.status_code == 302
    assert "/apply/login" in response.headers["Location"]


def test_entry_on_home_and_centre_leads_to_the_member_pages(client, w, a1):
    home = client.get("/apply/").get_data(as_text=True)
    centre = client.get("/apply/center").get_data(as_text=True)

    assert re.search(
        r'<a href="/apply/member" class="secondary" id="member-entry">注册工程会员申请</a>',
        home,
    )
    assert 'id="member-card"' in centre and 'href="/apply/member"' in centre
    assert (
        client.get("/apply/member")
        .headers["Location"]
        .endswith("/apply/member/specialty")
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("key", ["basic", "education", "declaration"])
def test_section_pages_in_english(client, draft, key):
    with client.session_transaction() as session:
        session["locale"] = "en"

    page = client.get(SECTION_URL.format(key)).get_data(as_text=True)

    assert "Application form for engineering members" in page
    assert {
        "basic": "Name in pinyin",
        "education": "School or university",
        "declaration": "I have read and accept",
    }[key] in page


# --- 领域及专业, level, 《填写说明》 -----------------------------------------------------


def test_specialty_page_offers_the_society_fields_and_shows_the_prefilled_data(
    client, w, a1
):
    page = client.get("/apply/member/specialty").get_data(as_text=True)

    assert "电力系统" in page and "高电压" in page
    assert "结构工程" not in page  # S2's field
    assert "选择领域及专业" in page
    prefilled = dict(
        re.findall(r'<dd[^>]*data-prefilled="(\w+)">(.*?)</dd>', page, re.S)
    )
    assert prefilled["name"] == a1.name
    assert prefilled["mobile"] == a1.mobile
    assert prefilled["email"] == a1.email
    assert prefilled["employer"] == "华东勘测设计研究院"
    assert prefilled["field"] == "电气工程"
    assert prefilled["level"] == "专业工程会员"
    assert prefilled["practice"].startswith("我负责海外输变电工程")


@pytest.mark.parametrize(
    ("field", "specialty", "at", "message"),
    [
        ("elec", "structure", "specialty_id", "请选择所选领域下的专业。"),
        ("civil", "structure", "field_id", "请选择该学会的领域。"),
        ("elec", "", "specialty_id", "请选择专业。"),
    ],
    ids=["specialty-of-another-field", "field-of-another-society", "no-specialty"],
)
def test_specialty_refused_at_its_field(client, w, a1, field, specialty, at, message):
    ids = {"elec": w.rw.elec_field_id, "civil": w.rw.civil_field_id}
    specialties = {"structure": w.structure_id, "": ""}
    token = csrf_token(client, "/apply/member/specialty")

    response = client.post(
        "/apply/member/specialty",
        data={
            "csrf_token": token,
            "field_id": str(ids[field]),
            "specialty_id": str(specialties[specialty]),
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, at) == message
    application = fresh(members.open_for(a1.account_id).id)
    assert (application.field_id, application.specialty_id) == (
        w.rw.elec_field_id,
        None,
    )


def test_level_page_preselects_the_level_asked_and_never_offers_associate(client, w):
    senior = w.applicant("a9")
    login(client, senior.account_id)
    members.open_for(senior.account_id)
    members.choose_specialty(
        senior.account_id, str(w.rw.elec_field_id), str(w.power_id)
    )

    page = client.get("/apply/member/level").get_data(as_text=True)

    radios = re.findall(
        r'<input type="radio" name="level" value="(\w+)"( checked)?', page
    )
    assert radios == [("professional", ""), ("senior", " checked")]
    assert 'value="associate"' not in page
    assert (
        "注：见习工程会员为联合体和相应学会面向工科毕业生长期、广泛开展的评价级别，请勿申请此级别。"
        in page
    )
    assert "立即申请" in page


def test_level_forced_to_associate_is_refused_at_the_field(client, w, a1):
    members.open_for(a1.account_id)
    members.choose_specialty(a1.account_id, str(w.rw.elec_field_id), str(w.power_id))
    token = csrf_token(client, "/apply/member/level")

    response = client.post(
        "/apply/member/level", data={"csrf_token": token, "level": "associate"}
    )

    page = response.get_data(as_text=True)
    assert field_error(page, "level") == (
        "见习工程会员为联合体和相应学会面向工科毕业生长期、广泛开展的评价级别，请勿申请此级别；请选择专业工程会员或资深工程会员。"
    )
    application = fresh(members.open_for(a1.account_id).id)
    assert (application.level, application.state) == ("professional", "permitted")


def test_steps_lead_from_the_entry_to_the_prefilled_form(client, w, a1):
    token = csrf_token(client, "/apply/member/specialty")

    steps = [
        client.post(
            "/apply/member/specialty",
            data={
                "csrf_token": token,
                "field_id": str(w.rw.elec_field_id),
                "specialty_id": str(w.high_voltage_id),
            },
        ),
        client.post(
            "/apply/member/level", data={"csrf_token": token, "level": "senior"}
        ),
        client.get("/apply/member/instructions"),
        client.post("/apply/member/instructions", data={"csrf_token": token}),
        client.get("/apply/member/form"),
    ]

    assert [r.headers.get("Location") for r in steps] == [
        "/apply/member/level",
        "/apply/member/instructions",
        None,
        "/apply/member/form/basic",
        "/apply/member/form/basic",
    ]
    assert "《填写说明》" in steps[2].get_data(as_text=True)
    assert "我已阅读" in steps[2].get_data(as_text=True)
    application = fresh(members.open_for(a1.account_id).id)
    assert (application.state, application.level, application.specialty_id) == (
        "draft",
        "senior",
        w.high_voltage_id,
    )
    page = client.get("/apply/member/form/basic").get_data(as_text=True)
    assert input_value(page, "name") == a1.name
    assert input_value(page, "mobile") == a1.mobile
    assert input_value(page, "email") == a1.email
    assert input_value(page, "employer") == "华东勘测设计研究院"
    assert 'data-section="basic" data-complete="0"' in page


def test_form_before_the_instructions_leads_back_to_the_steps(client, w, a1):
    response = client.get("/apply/member/form/basic")

    assert response.headers["Location"] == "/apply/member/specialty"


# --- 基本情况 ------------------------------------------------------------------------


@pytest.fixture
def draft(client, w, a1):
    """a1's application past 《填写说明》."""
    return opened(w, "a1")


def test_basic_saved_complete_with_a_photo_turns_complete_in_the_progress_list(
    app, client, draft, a1
):
    photo = encode(picture(), "JPEG", quality=90)

    response = post_section(client, "basic", basic(), photo=(photo, "证件照.jpg"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/member/form/basic"
    page = client.get("/apply/member/form/basic").get_data(as_text=True)
    assert "“基本情况”已保存，且已填写完整。" in page
    assert 'data-section="basic" data-complete="1"' in page
    # The sections without a required row are complete before a save, marked 选填.
    assert 'data-section="awards" data-complete="1"' in page
    assert '获奖与成果 <small class="optional">（选填）</small>' in page
    assert 'data-section="education" data-complete="0"' in page
    application = fresh(draft.id)
    assert (
        application.name,
        application.id_number,
        application.photo_content_type,
    ) == (
        "张三",
        resident_id(),
        "image/jpeg",
    )
    assert section_row(draft.id, "basic").complete is True
    assert len(upload_files(app)) == 1


BASIC_REFUSALS = [
    (
        "pinyin-digits",
        {"name_pinyin": "ZHANG SAN123"},
        "name_pinyin",
        "姓名拼音只能包含字母A-Z和一个空格。",
    ),
    (
        "pinyin-three-parts",
        {"name_pinyin": "ZHANG SAN FENG"},
        "name_pinyin",
        "请写成姓和名两部分，中间用一个空格分隔，例如 ZHANG SAN。",
    ),
    (
        "pinyin-two-spaces",
        {"name_pinyin": "ZHANG  SAN"},
        "name_pinyin",
        "请写成姓和名两部分，中间用一个空格分隔，例如 ZHANG SAN。",
    ),
    (
        "id-check-digit",
        {"id_number": resident_id()[:17] + ("0" if resident_id()[17] != "0" else "1")},
        "id_number",
        "证件号码校验位不正确，请核对。",
    ),
    (
        "id-birth-differs",
        {"birth_date": "1985-06-16"},
        "id_number",
        "证件号码中的出生日期（1985-06-15）与填写的出生日期（1985-06-16）不一致。",
    ),
    (
        "birth-in-the-future",
        {"birth_date": (dt.date.today() + dt.timedelta(days=400)).isoformat()},
        "birth_date",
        "出生日期须为1900-01-01至今天之前的日期。",
    ),
]


@pytest.mark.parametrize(
    ("changes", "at", "message"),
    [item[1:] for item in BASIC_REFUSALS],
    ids=[item[0] for item in BASIC_REFUSALS],
)
def test_basic_refusal_shows_the_message_at_the_field_with_the_form_as_typed(
    client, draft, changes, at, message
):
    typed = basic(**changes)

    response = post_section(client, "basic", typed)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, at) == message
    for name in ("name", "name_pinyin", "birth_date", "id_number", "address", "mobile"):
        assert input_value(page, name) == typed[name], name
    assert selected(page, "native_province") == "420000"
    assert selected(page, "native_city") == "429004"
    assert "已保存，但本部分尚未填写完整" in page
    section = section_row(draft.id, "basic")
    assert section.complete is False
    assert section.data["name_pinyin"] == typed["name_pinyin"]
    if at == "id_number":
        assert fresh(draft.id).id_number is None  # a refused number is not copied


def test_basic_without_javascript_offers_every_city_grouped_by_province(client, draft):
    page = client.get("/apply/member/form/basic").get_data(as_text=True)

    hubei = re.search(
        r'<optgroup label="湖北省" data-province="420000">(.*?)</optgroup>', page, re.S
    )
    assert hubei and "仙桃市" in hubei.group(1) and "武汉市" in hubei.group(1)
    assert 'data-province="110000"' in page
    assert 'data-province="810000"' not in page  # 香港 has no unit to choose


def test_pinyin_suggestion_button_without_javascript_fills_it_from_the_name(
    client, draft
):
    response = post_section(
        client, "basic", basic(name="欧阳明远", name_pinyin=""), action="suggest_pinyin"
    )

    assert (
        input_value(response.get_data(as_text=True), "name_pinyin") == "OUYANG MINGYUAN"
    )
    assert section_row(draft.id, "basic").data["name_pinyin"] == "OUYANG MINGYUAN"


def test_pinyin_suggestion_json(client, draft):
    assert client.get("/apply/member/pinyin?name=单田芳").get_json() == {
        "ok": True,
        "pinyin": "SHAN TIANFANG",
    }


# --- the photo --------------------------------------------------------------------------


def test_photo_png_named_jpg_is_accepted_by_its_content(app, client, draft):
    data = encode(picture(), "PNG")

    response = post_section(client, "basic", basic(), photo=(data, "photo.jpg"))

    assert response.status_code == 302
    application = fresh(draft.id)
    assert application.photo_content_type == "image/png"
    served = client.get(f"/apply/member/{draft.id}/photo")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert served.headers["Cache-Control"] == "private, no-store"


def _padded_jpeg(total: int) -> bytes:
    data = encode(picture(), "JPEG", quality=90)
    return data + b"\x00" * (total - len(data))


PHOTO_REFUSALS = [
    (
        "gif",
        lambda: encode(picture(), "GIF"),
        "photo.gif",
        "这是 GIF 文件，不是 JPEG 或 PNG 图片：请将照片另存为或导出为 JPEG 或 PNG 格式后重新上传。",
    ),
    (
        "svg",
        lambda: (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="413" height="626"></svg>'
        ),
        "photo.jpg",
        "这是 SVG 文件，不是 JPEG 或 PNG 图片：请将照片另存为或导出为 JPEG 或 PNG 格式后重新上传。",
    ),
    (
        "pdf",
        lambda: b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
        "photo.png",
        "这是 PDF 文件，不是 JPEG 或 PNG 图片：请将照片另存为或导出为 JPEG 或 PNG 格式后重新上传。",
    ),
    (
        "2mb-plus-one",
        lambda: _padded_jpeg(2 * 1024 * 1024 + 1),
        "photo.jpg",
        "照片不能超过 2 MB（2,097,152 字节），此文件为 2,097,153 字节。",
    ),
]


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [item[1:] for item in PHOTO_REFUSALS],
    ids=[item[0] for item in PHOTO_REFUSALS],
)
def test_photo_refused_at_the_field_and_nothing_kept(
    app, client, draft, make, name, message
):
    typed = basic(name="李四", name_pinyin="LI SI")

    response = post_section(client, "basic", typed, photo=(make(), name))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "photo") == message
    assert (
        input_value(page, "name") == "李四"
        and input_value(page, "name_pinyin") == "LI SI"
    )
    application = fresh(draft.id)
    assert application.photo_key is None
    assert upload_files(app) == []
    assert section_row(draft.id, "basic").complete is False


def test_a_body_over_the_request_limit_is_refused_in_chinese_and_nothing_kept(
    app, client, draft
):
    """A body over MAX_CONTENT_LENGTH (8 MB) on a page without a limit of its own (the
    section pages have theirs, tested below) is not read: a Chinese page, nothing
    changed."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 8 * 1024 * 1024
    before = member_snapshot(app)
    token = csrf_token(client, "/apply/member/preview")

    response = client.post(
        "/apply/member/submit",
        data={"csrf_token": token, "padding": "x" * limit},
        headers={"Referer": "http://localhost/apply/member/preview"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert (
        "提交的内容超过 8 MB，未保存任何内容。请返回，换一个较小的文件再发送。"
        in page
    )
    assert 'href="http://localhost/apply/member/preview"' in page
    assert member_snapshot(app) == before


def test_photo_refused_keeps_the_photo_already_kept(app, client, draft):
    post_section(client, "basic", basic(), photo=(encode(picture(), "JPEG"), "a.jpg"))
    kept = fresh(draft.id).photo_key

    response = post_section(
        client, "basic", basic(), photo=(encode(picture(), "GIF"), "b.gif")
    )

    page = response.get_data(as_text=True)
    assert "本部分已保存，但所选照片未被采用，请查看照片处的提示。" in page
    assert field_error(page, "photo").startswith("这是 GIF 文件")
    assert fresh(draft.id).photo_key == kept
    assert section_row(draft.id, "basic").complete is True
    assert len(upload_files(app)) == 1


def _sideways() -> bytes:
    """626×413 as stored, upright (413×626) once EXIF orientation 6 is applied; the
    stored left side, red, is the top."""
    image = Image.new("RGB", (626, 413), BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, 60, 412), fill=RED)
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(image, "JPEG", quality=92, exif=exif.tobytes())


def test_photo_sideways_with_exif_orientation_is_accepted_and_stored_upright(
    app, client, draft
):
    response = post_section(client, "basic", basic(), photo=(_sideways(), "phone.jpg"))

    assert response.status_code == 302
    application = fresh(draft.id)
    assert (application.photo_width, application.photo_height) == (413, 626)
    stored = Image.open(io.BytesIO(client.get(f"/apply/member/{draft.id}/photo").data))
    assert stored.size == (413, 626)
    top, bottom = (
        stored.convert("RGB").getpixel((206, 15)),
        stored.convert("RGB").getpixel((206, 610)),
    )
    assert top[0] > 180 and top[2] < 90  # red at the top
    assert bottom[2] > 150 and bottom[0] < 100  # blue below
    assert len(stored.getexif()) == 0


def test_photo_of_other_size_is_offered_with_a_preview_and_kept_on_confirm(
    app, client, draft
):
    big = encode(picture((826, 1252)), "JPEG", quality=90)

    offered = post_section(client, "basic", basic(), photo=(big, "big.jpg"))

    page = offered.get_data(as_text=True)
    assert offered.status_code == 200
    assert "照片比例正确，但尺寸为 826×1252 像素" in page
    assert 'id="photo-confirm"' in page
    preview_url = html.unescape(
        re.search(r'<img src="([^"]+)"[^>]*id="photo-offer-preview"', page).group(1)
    )
    preview = client.get(preview_url)
    assert preview.status_code == 200
    assert Image.open(io.BytesIO(preview.data)).size == (413, 626)
    assert fresh(draft.id).photo_key is None

    confirmed = post_section(client, "basic", basic(), action="confirm_photo")

    assert confirmed.status_code == 302
    application = fresh(draft.id)
    assert (application.photo_width, application.photo_height) == (413, 626)
    assert client.get(f"/apply/member/{draft.id}/photo").data == preview.data
    assert client.get(preview_url).status_code == 404  # the offer is used up
    assert len(upload_files(app)) == 1
    assert section_row(draft.id, "basic").complete is True


def test_photo_offer_cancelled_keeps_nothing(app, client, draft):
    crop = encode(picture((600, 800)), "JPEG", quality=90)

    offered = post_section(client, "basic", basic(), photo=(crop, "wide.jpg"))
    cancelled = post_section(client, "basic", basic(), action="cancel_photo")

    assert "可以从中间裁剪为 413×626 的比例并缩放" in offered.get_data(as_text=True)
    assert 'id="photo-offer"' not in cancelled.get_data(as_text=True)
    assert fresh(draft.id).photo_key is None
    assert upload_files(app) == []
    assert client.get("/apply/member/photo/preview").status_code == 404


def test_one_preview_waits_at_most_whatever_the_tabs_or_cookies(
    app, client, draft, a1
):
    """The preview waiting for 确认 is kept on the application, not in the session: a
    second tab (or a replayed cookie) that uploads again replaces it, so one preview
    file exists at most, and either tab's 确认 takes the latest."""
    other = app.test_client()
    login(other, a1.account_id)
    crop = encode(picture((600, 800)), "JPEG", quality=90)

    for tab in (client, other, client, other):
        offered = post_section(tab, "basic", basic(), photo=(crop, "wide.jpg"))
        assert 'id="photo-confirm"' in offered.get_data(as_text=True)

    files = upload_files(app)
    assert len(files) == 1
    assert fresh(draft.id).photo_offer["key"].endswith(files[0].name)
    confirmed = post_section(client, "basic", basic(), action="confirm_photo")
    assert confirmed.status_code == 302
    kept = fresh(draft.id)
    assert kept.photo_key.endswith(files[0].name) and kept.photo_offer is None


def test_a_late_cancel_from_another_tab_never_deletes_the_kept_photo(
    app, client, draft, a1
):
    other = app.test_client()
    login(other, a1.account_id)
    crop = encode(picture((600, 800)), "JPEG", quality=90)
    post_section(client, "basic", basic(), photo=(crop, "wide.jpg"))
    post_section(other, "basic", basic(), action="confirm_photo")
    kept = fresh(draft.id).photo_key

    post_section(client, "basic", basic(), action="cancel_photo")

    assert fresh(draft.id).photo_key == kept
    served = client.get(f"/apply/member/{draft.id}/photo")
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.data)).size == (413, 626)
    assert len(upload_files(app)) == 1


def test_a_kept_photo_whose_file_is_gone_makes_basic_incomplete_at_submit(
    app, client, w, a1
):
    application = filled(w, "a1")
    for path in upload_files(app):
        path.unlink()  # lost (a disk restored without it, a mistaken clean-up)
    token = csrf_token(client, "/apply/member/preview")

    response = client.post("/apply/member/submit", data={"csrf_token": token})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请先完成以下部分再提交：基本情况。" in page
    assert fresh(application.id).state == "draft"
    assert section_row(application.id, "basic").complete is False


def test_sweep_removes_an_abandoned_preview_and_keeps_every_named_photo(
    app, client, draft
):
    """An offer never confirmed leaves its preview file; ``flask uploads sweep`` removes
    it once it is a day old, keeps the photos applications name, and a late 确认 is
    told to upload again."""
    post_section(client, "basic", basic(), photo=(encode(picture(), "JPEG"), "a.jpg"))
    kept = fresh(draft.id).photo_key
    post_section(
        client, "basic", basic(), photo=(encode(picture((600, 800)), "JPEG"), "b.jpg")
    )
    files = upload_files(app)
    assert len(files) == 2  # the kept photo and the waiting preview
    day_ago = dt.datetime.now().timestamp() - 25 * 3600
    for path in files:
        os.utime(path, (day_ago, day_ago))

    result = app.test_cli_runner().invoke(args=["uploads", "sweep"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "photo files: 2, kept 1, removed 1"
    assert [path.name for path in upload_files(app)] == [kept.rsplit("/", 1)[1]]
    late = post_section(client, "basic", basic(), action="confirm_photo")
    assert field_error(late.get_data(as_text=True), "photo") == (
        "预览已失效，请重新上传照片。"
    )
    assert fresh(draft.id).photo_key == kept


def test_a_camera_photo_over_2_mb_is_refused_at_the_field_with_everything_kept(
    app, client, draft
):
    """A 4000×6000 camera JPEG of several MB: refused at 照片 by its size (not read),
    every other field as typed and saved."""
    camera = _padded_jpeg(7 * 1024 * 1024)
    typed = basic(name="李四", name_pinyin="LI SI", position="总工程师")

    response = post_section(client, "basic", typed, photo=(camera, "IMG_0001.JPG"))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "photo") == (
        "照片不能超过 2 MB（2,097,152 字节），此文件为 7,340,032 字节。"
    )
    assert input_value(page, "name") == "李四" and input_value(page, "position") == "总工程师"
    assert section_row(draft.id, "basic").data["name"] == "李四"
    assert fresh(draft.id).photo_key is None
    assert upload_files(app) == []


def test_request_larger_than_any_photo_is_refused_before_it_is_read(app, client, draft):
    huge = b"\xff\xd8\xff" + b"\0" * (21 * 1024 * 1024)
    before = member_snapshot(app)

    response = post_section(
        client, "basic", basic(name="赵六"), photo=(huge, "huge.jpg")
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/member/form/basic"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "文件过大：照片不得超过2MB。本次未保存任何内容，请选择较小的文件。" in page
    assert member_snapshot(app) == before
    assert upload_files(app) == []


def test_a_section_without_a_photo_over_the_request_limit_says_so(app, client, draft):
    """教育经历 has no photo: a body over 8 MB is told as such, not as a photo."""
    url = SECTION_URL.format("education")
    token = csrf_token(client, url)

    response = client.post(
        url,
        data={"csrf_token": token, "action": "save", "padding": "x" * (9 * 1024 * 1024)},
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert response.status_code == 302
    assert "提交的内容超过 8 MB，未保存任何内容。请返回，换一个较小的文件再发送。" in page
    assert "照片" not in re.search(r'<div class="flash[^>]*>(.*?)</div>', page, re.S).group(1)


def test_a_photo_step_after_a_submit_in_another_tab_is_refused_not_an_error(
    app, client, w, a1
):
    """The basic page was open when another tab submitted: 取消 / 确认 / an upload then
    get the state's message, not a server error."""
    application = filled(w, "a1")
    members.submit(a1.account_id)
    with app.test_request_context():
        from flask_login import login_user

        from app.models import Account

        login_user(db.session.get(Account, a1.account_id))
        from views.site.member_photos import photo_step

        message = photo_step(fresh(application.id), "cancel_photo")

    assert message == "您的注册工程会员申请当前为“已提交”状态，不能修改。"
    assert fresh(application.id).state == "submitted"


def test_photo_with_a_white_background_is_kept_with_a_warning(client, draft):
    response = post_section(
        client,
        "basic",
        basic(),
        photo=(encode(picture(background=WHITE), "PNG"), "white.png"),
    )

    assert response.status_code == 302
    page = client.get("/apply/member/form/basic").get_data(as_text=True)
    assert "照片背景看起来不是蓝色，请确认照片为申请要求的蓝色背景。" in page
    assert fresh(draft.id).photo_key is not None
    assert 'data-section="basic" data-complete="1"' in page


def test_photo_url_of_another_applicant_is_not_served(client, w, draft):
    post_section(client, "basic", basic(), photo=(encode(picture(), "JPEG"), "a.jpg"))
    other = w.applicant("a2")
    login(client, other.account_id)
    members.open_for(other.account_id)

    response = client.get(f"/apply/member/{draft.id}/photo")

    assert response.status_code == 404
    assert client.get("/apply/member/999999/photo").status_code == 404


# --- repeatable rows and 诚信承诺 --------------------------------------------------------


def test_rows_without_javascript_add_a_row_saves_and_returns_with_one_more(
    client, draft
):
    page = client.get(SECTION_URL.format("education")).get_data(as_text=True)
    assert shown_rows(page) == 2  # no entry yet: two empty rows
    typed = flat_rows("education")

    response = post_section(
        client, "education", {**typed, "extra": "1"}, action="add_row"
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_rows(page) == 3  # the saved row and two empty ones
    assert input_value(page, "rows-0-school") == "清华大学"
    assert (
        input_value(page, "rows-1-school") == ""
        and input_value(page, "rows-2-school") == ""
    )
    section = section_row(draft.id, "education")
    assert (section.complete, len(section.data["rows"])) == (True, 1)


def test_rows_remove_button_without_javascript_removes_that_row(client, draft):
    typed = flat_rows("work", 2)
    typed["rows-0-employer"] = "第一家单位"

    post_section(client, "work", typed, action="remove-0")

    rows_saved = section_row(draft.id, "work").data["rows"]
    assert [row["employer"] for row in rows_saved] == ["华东勘测设计研究院"]


def test_rows_refusal_is_shown_at_the_row_field(client, draft):
    typed = flat_rows("education")
    typed["rows-0-end"] = "2001-07"  # before its start

    response = post_section(client, "education", typed)

    page = response.get_data(as_text=True)
    assert field_error(page, "rows-0-end") == "结束时间不能早于开始时间。"
    assert input_value(page, "rows-0-end") == "2001-07"
    assert section_row(draft.id, "education").complete is False


def test_rows_posted_with_gaps_from_javascript_are_kept_in_order(client, draft):
    typed = {
        **{k.replace("rows-0-", "rows-0-"): v for k, v in flat_rows("awards").items()},
        **{
            k.replace("rows-0-", "rows-7-"): v
            for k, v in flat_rows("awards", title="中国电力优秀设计一等奖").items()
        },
    }

    post_section(client, "awards", typed)

    titles = [row["title"] for row in section_row(draft.id, "awards").data["rows"]]
    assert titles == ["国家科学技术进步奖二等奖", "中国电力优秀设计一等奖"]


def test_declaration_unchecked_is_refused_at_the_checkbox(client, draft):
    response = post_section(client, "declaration", {})

    assert (
        field_error(response.get_data(as_text=True), "accepted")
        == "请阅读并勾选诚信承诺。"
    )
    assert post_section(client, "declaration", {"accepted": "1"}).status_code == 302
    assert section_row(draft.id, "declaration").complete is True


def test_expired_csrf_on_a_section_save_returns_the_form_filled_and_keeps_everything(
    app, client, draft
):
    url = SECTION_URL.format("basic")
    token = csrf_token(client, url)
    typed = basic(name="王五", name_pinyin="WANG WU", address="北京市海淀区学院路1号")
    before = member_snapshot(app)
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is now too old

    response = client.post(url, data={"csrf_token": token, "action": "save", **typed})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "表单已过期，请重新提交。" in page
    for name in ("name", "name_pinyin", "address", "id_number"):
        assert input_value(page, name) == typed[name]
    assert member_snapshot(app) == before

    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    fresh_token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page
    ).group(1)
    again = client.post(
        url, data={"csrf_token": fresh_token, "action": "save", **typed}
    )
    assert again.status_code == 200  # saved; incomplete without a photo
    assert section_row(draft.id, "basic").data["name"] == "王五"


# --- preview, PDF, submit ----------------------------------------------------------------


def test_submit_with_incomplete_sections_names_them(client, draft):
    post_section(client, "education", flat_rows("education"))
    token = csrf_token(client, "/apply/member/preview")

    response = client.post("/apply/member/submit", data={"csrf_token": token})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "请先完成以下部分再提交：基本情况、工作经历、工程实践经历和诚信承诺。"
        in page
    )
    listed = re.findall(r'<li data-section="(\w+)">', page)
    assert listed == ["basic", "work", "practice", "declaration"]
    assert fresh(draft.id).state == "draft"


def test_preview_shows_the_whole_application_and_the_pdf_holds_the_photo_and_name(
    client, w, a1
):
    application = filled(w, "a1")
    post_section(
        client,
        "basic",
        basic(name="张三丰", name_pinyin="ZHANG SANFENG"),
        photo=(encode(picture(), "JPEG"), "a.jpg"),
    )

    page = client.get("/apply/member/preview").get_data(as_text=True)
    response = client.get("/apply/member/pdf")

    for text in (
        "张三丰",
        "ZHANG SANFENG",
        "湖北省 仙桃市",
        "清华大学",
        "白鹤滩水电站送出工程",
        "本人郑重承诺",
    ):
        assert text in page, text
    assert 'id="pdf-link"' in page and 'id="submit-button"' in page
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page_.extract_text() for page_ in reader.pages)
    assert (
        "张三丰" in text and "工程会员申请表" in text and "白鹤滩水电站送出工程" in text
    )
    assert any(page_.images for page_ in reader.pages)
    assert fresh(application.id).state == "draft"


def test_the_copy_cuts_a_refused_save_at_the_limits(client, w, a1):
    """A refused save keeps up to 40 rows of 2,000 characters; the preview and the PDF
    copy show 20 rows at most, each text cut at its limit with …, so a copy never costs
    more to render than a complete application."""
    filled(w, "a1")
    long_text = "长" * 2000
    refused = members.save_section(
        a1.account_id, "practice", rows("practice", 40, contribution=long_text)
    )
    assert not refused.complete
    assert len(section_row(refused.section.application_id, "practice").data["rows"]) == 40

    page = client.get("/apply/member/preview").get_data(as_text=True)
    pdf_response = client.get("/apply/member/pdf")

    practice = re.search(
        r'data-section-title="工程实践经历".*?</section>', page, re.S
    ).group(0)
    assert practice.count("<tr>") == 1 + 20  # the header and 20 rows
    assert "长" * 500 + "…" in practice and "长" * 501 not in practice
    assert pdf_response.status_code == 200
    text = "".join(
        page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf_response.data)).pages
    )
    assert text.count("白鹤滩水电站送出工程") == 20


def test_the_copy_shows_a_line_broken_text_in_few_lines_and_a_long_name_cut(
    client, w, a1
):
    """Valid texts made of line breaks (甲, 498 line breaks, 乙) are shown without runs
    of blank lines and in LINES_SHOWN lines at most; a refused 2,000-character name
    does not reach the page footer of every PDF page uncut."""
    filled(w, "a1")
    broken = "甲" + "\n" * 498 + "乙"
    many = "\n".join(["行"] * 40)
    saved = members.save_section(
        a1.account_id,
        "practice",
        rows("practice", 20, contribution=broken),
    )
    assert saved.complete
    members.save_section(
        a1.account_id, "awards", rows("awards", 1, description=many)
    )
    post_section(client, "basic", basic(name="长" * 2000))

    page = client.get("/apply/member/preview").get_data(as_text=True)
    response = client.get("/apply/member/pdf")

    cells = re.findall(r'<td class="pre" data-label="([^"]+)">(.*?)</td>', page, re.S)
    shown = {label: text for label, text in cells}
    assert shown["本人贡献"] == "甲\n\n乙"
    assert shown["说明"] == "\n".join(["行"] * 11) + "\n" + " ".join(["行"] * 29)
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) < 12
    text = "".join(page_.extract_text() for page_ in reader.pages)
    # 姓名 cut at 100 in the body, at 25 in each page's footer.
    assert text.count("长") <= 100 + 25 * len(reader.pages)


def test_submit_then_centre_shows_state_and_history_then_returned_is_resubmitted(
    client, w, a1
):
    application = filled(w, "a1")
    token = csrf_token(client, "/apply/member/preview")

    submitted = client.post("/apply/member/submit", data={"csrf_token": token})

    assert submitted.headers["Location"] == "/apply/center"
    centre = client.get("/apply/center").get_data(as_text=True)
    card = re.search(r'<div class="card member-card".*?</table>', centre, re.S).group(0)
    assert 'data-state="submitted"' in card and "已提交" in card
    assert fresh(application.id).state == "submitted"
    assert client.get("/apply/member/form/basic").headers["Location"] == "/apply/member"
    shown = client.get("/apply/member").get_data(as_text=True)
    assert 'id="member-state"' in shown and "已提交" in shown and a1.name[:4] in shown
    refused = post_section(client, "basic", basic(name="改名"), token=token)
    assert refused.status_code == 302
    assert section_row(application.id, "basic").data["name"] != "改名"

    members.decide(
        w.admin("admin1"),
        application.id,
        "return",
        reason="请补充工程实践经历的本人贡献。",
    )
    page = client.get("/apply/member/form/practice").get_data(as_text=True)
    assert "原因：请补充工程实践经历的本人贡献。" in page
    centre = client.get("/apply/center").get_data(as_text=True)
    assert "原因：请补充工程实践经历的本人贡献。" in centre
    post_section(
        client,
        "practice",
        flat_rows("practice", contribution="负责换流站总体设计、设备选型与系统调试。"),
    )
    again = client.post("/apply/member/submit", data={"csrf_token": token})

    assert again.headers["Location"] == "/apply/center"
    application = fresh(application.id)
    assert (application.state, application.return_reason) == ("submitted", None)
    events = [event.action for event in members.history(application)]
    assert events == ["start", "submit", "return", "resubmit"]
