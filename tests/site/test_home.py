"""The applicant site's home page, its content pages, files, language, and the
platform admin's editor of that content."""

import io
import re
from urllib.parse import urlsplit

import pytest
from flask import current_app, url_for
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import AuditEntry, IdentityKind, SiteContent
from tests.conftest import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"
    + b"\x00" * 32
)


def _content(key: str, **values) -> None:
    with write_transaction():
        db.session.add(SiteContent(key=key, title=values.pop("title", ""), **values))


def _url(endpoint: str) -> str:
    with current_app.test_request_context():
        return url_for(endpoint)


def _links(page: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', page)


def test_home_without_any_content_still_works(client):
    response = client.get("/apply/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<video" not in page
    assert page.count(">视频即将上线。<") == 2
    assert "指导视频即将上线。" in page
    assert "《什么是工程能力评价?》" in page
    assert "《工程师国际互认——中国科协探索与实践》" in page
    assert 'id="guide-download"' not in page
    assert re.search(
        r'<a href="#guide-video" id="guide-video-entry">指导视频</a>', page
    )
    assert (
        f'href="{_url("site.apply")}" id="apply-entry">拟参加工程能力评价申请</a>'
        in page
    )
    assert 'id="member-entry"' not in page
    for label in ["首页", "联系我们", "个人中心", "消息中心", "管理员/考官登录"]:
        assert label in page


def test_home_shows_uploaded_and_linked_videos_and_the_guide(client):
    _content(
        "video_intro", file_name="intro.mp4", content_type="video/mp4", file_data=MP4
    )
    _content(
        "video_mutual", url="https://video.example.cn/mutual.mp4", title="互认视频"
    )
    _content(
        "guide",
        file_name="工程会员申请指南.pdf",
        content_type="application/pdf",
        file_data=PDF,
    )

    page = client.get("/apply/").get_data(as_text=True)

    assert (
        '<video controls preload="metadata" playsinline src="/apply/files/video_intro"'
        in page
    )
    assert 'src="https://video.example.cn/mutual.mp4"' in page
    assert "《互认视频》" in page
    assert re.search(
        r'id="guide-download" href="/apply/files/guide" download>下载《工程会员申请指南》</a>',
        page,
    )
    assert "<iframe" not in page


def test_uploaded_files_are_served_by_the_app(client):
    _content(
        "video_intro", file_name="intro.mp4", content_type="video/mp4", file_data=MP4
    )
    _content(
        "guide",
        file_name="工程会员申请指南.pdf",
        content_type="application/pdf",
        file_data=PDF,
    )

    guide = client.get("/apply/files/guide")
    video = client.get("/apply/files/video_intro", headers={"Range": "bytes=0-9"})
    missing = client.get("/apply/files/guide_video")
    not_a_file = client.get("/apply/files/agreement")

    assert guide.status_code == 200
    assert guide.data == PDF
    assert guide.mimetype == "application/pdf"
    assert guide.headers["Content-Disposition"].startswith("attachment")
    assert video.status_code == 206
    assert video.data == MP4[:10]
    assert (missing.status_code, not_a_file.status_code) == (404, 404)


def test_member_entry_shows_only_with_member_permission(client, applicant, monkeypatch):
    login(client, applicant)
    without = client.get("/apply/").get_data(as_text=True)
    monkeypatch.setattr(
        "app.services.applications.has_member_permission",
        lambda account_id: account_id == applicant,
    )

    with_permission = client.get("/apply/").get_data(as_text=True)

    assert 'id="member-entry"' not in without
    assert re.search(r'id="member-entry">注册工程会员申请</a>', with_permission)


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/apply/pages/agreement", "用户协议"),
        ("/apply/pages/privacy", "隐私政策"),
        ("/apply/contact", "联系我们"),
    ],
    ids=["agreement", "privacy", "contact"],
)
def test_content_pages_show_their_default_title_when_empty(client, url, title):
    page = client.get(url).get_data(as_text=True)

    assert f"<h1>{title}</h1>" in page
    assert "本页暂无内容。" in page


def test_content_page_shows_the_admins_text_as_plain_paragraphs(client):
    _content(
        "agreement",
        title="用户服务协议",
        body="第一条 <script>alert(1)</script>\r\n第二行\r\n\r\n<b>第二段</b>",
    )

    page = client.get("/apply/pages/agreement").get_data(as_text=True)

    assert "<h1>用户服务协议</h1>" in page
    assert "<p>第一条 &lt;script&gt;alert(1)&lt;/script&gt;<br>第二行</p>" in page
    assert "<p>&lt;b&gt;第二段&lt;/b&gt;</p>" in page
    assert "<script>alert" not in page


def test_unknown_content_page_is_404(client):
    assert client.get("/apply/pages/guide").status_code == 404


def test_language_switch_to_english_and_back(client):
    switched = client.get("/apply/language/en?next=/apply/contact")
    english = client.get("/apply/").get_data(as_text=True)
    client.get("/apply/language/zh")
    chinese = client.get("/apply/").get_data(as_text=True)

    assert switched.status_code == 302
    assert switched.headers["Location"] == "/apply/contact"
    assert "Apply to take part in engineering capability assessment" in english
    assert "Administrator / examiner login" in english
    assert 'lang="en"' in english
    assert "拟参加工程能力评价申请" in chinese
    assert client.get("/apply/language/fr").status_code == 404
    assert (
        client.get("/apply/language/en?next=//evil.example/").headers["Location"]
        == "/apply/"
    )


def test_site_pages_link_to_the_backend_only_through_its_login(client, applicant):
    _content(
        "video_intro", file_name="intro.mp4", content_type="video/mp4", file_data=MP4
    )
    _content(
        "guide", file_name="guide.pdf", content_type="application/pdf", file_data=PDF
    )
    anonymous = [
        "/apply/",
        "/apply/login",
        "/apply/login?tab=code",
        "/apply/register",
        "/apply/forgot",
    ]
    anonymous += ["/apply/contact", "/apply/pages/agreement", "/apply/pages/privacy"]
    pages = {url: client.get(url).get_data(as_text=True) for url in anonymous}
    login(client, applicant)
    pages.update(
        {
            f"{url} (logged in)": client.get(url).get_data(as_text=True)
            for url in ["/apply/", "/apply/messages"]
        }
    )
    backend_login = _url("AuthDBView.login")
    outside = []

    for url, page in pages.items():
        assert page.count(f'href="{backend_login}"') == 1, url
        assert "管理员/考官登录" in page
        for link in _links(page):
            parts = urlsplit(link)
            if (
                parts.scheme
                or parts.netloc
                or link.startswith("#")
                or link == backend_login
            ):
                continue
            if (
                not parts.path.startswith(("/apply/", "/static/"))
                and parts.path != urlsplit(_url("site.apply")).path
            ):
                outside.append((url, link))

    assert outside == []


def test_site_pages_are_not_the_backend_look(client):
    page = client.get("/apply/").get_data(as_text=True)

    assert "/static/site/site.css" in page
    assert "appbuilder" not in page
    assert 'name="viewport"' in page


# --- the platform admin's editor ---------------------------------------------------


@pytest.fixture
def admin(client, world):
    account_id, identity_id = world.account(
        "平台管理员", "13800000009", IdentityKind.PLATFORM_ADMIN
    )
    login(client, account_id, identity_id)
    return identity_id


def _add(client, key: str, **fields):
    token = csrf_token(client, "/site-content/add")
    data = {
        "csrf_token": token,
        "key": key,
        "title": "",
        "body": "",
        "url": "",
        **fields,
    }
    return client.post(
        "/site-content/add", data=data, content_type="multipart/form-data"
    )


def test_admin_uploads_the_guide_as_pdf(client, admin):
    response = _add(client, "guide", upload=(io.BytesIO(PDF), "申请指南.pdf"))

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    row = db.session.scalar(select(SiteContent).where(SiteContent.key == "guide"))
    assert (row.file_name, row.content_type, row.file_data) == (
        "申请指南.pdf",
        "application/pdf",
        PDF,
    )
    assert (
        db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.target_type == "site_contents")
        )
        == "site_content.update"
    )
    assert client.get("/apply/files/guide").data == PDF


def test_admin_uploads_a_guide_larger_than_other_requests_may_be(app, client, admin):
    """Site files may reach SITE_FILE_MAX_BYTES (100 MB): their pages take a body past
    the 8 MB MAX_CONTENT_LENGTH of every other request."""
    big = PDF[:-6] + b"%" * (9 * 1024 * 1024) + b"\n%%EOF\n"
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]

    response = _add(client, "guide", upload=(io.BytesIO(big), "guide.pdf"))

    assert response.status_code == 302
    row = db.session.scalar(select(SiteContent).where(SiteContent.key == "guide"))
    assert len(row.file_data) == len(big)


@pytest.mark.parametrize(
    ("data", "name"), [(MP4, "intro.mp4"), (WEBM, "intro.webm")], ids=["mp4", "webm"]
)
def test_admin_uploads_a_video_checked_by_its_content(client, admin, data, name):
    response = _add(client, "video_intro", upload=(io.BytesIO(data), name))

    assert response.status_code == 302
    row = db.session.scalar(select(SiteContent).where(SiteContent.key == "video_intro"))
    assert row.content_type == ("video/mp4" if name.endswith("mp4") else "video/webm")


@pytest.mark.parametrize(
    ("key", "data", "name", "message"),
    [
        ("guide", b"<html>not a pdf</html>", "guide.pdf", "申请指南请上传 PDF 文件。"),
        ("video_intro", PDF, "intro.mp4", "视频请上传 MP4 或 WebM 文件。"),
        ("agreement", PDF, "agreement.pdf", "该项内容没有文件，请不要上传文件。"),
    ],
    ids=["html-named-pdf", "pdf-named-mp4", "file-for-a-text-page"],
)
def test_admin_upload_of_the_wrong_kind_is_refused_at_the_field(
    client, admin, key, data, name, message
):
    response = _add(client, key, upload=(io.BytesIO(data), name))

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(SiteContent)) is None


def test_admin_upload_over_the_size_limit_is_refused(app, client, admin):
    app.config["SITE_FILE_MAX_BYTES"] = len(PDF) - 1

    response = _add(client, "guide", upload=(io.BytesIO(PDF), "guide.pdf"))

    assert "文件超过" in response.get_data(as_text=True)
    assert db.session.scalar(select(SiteContent)) is None


def test_admin_address_must_be_http(client, admin):
    response = _add(client, "video_mutual", url="javascript:alert(1)")

    assert "请输入以 https:// 或 http:// 开头的地址。" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(SiteContent)) is None


def test_admin_edits_the_agreement_and_the_site_shows_it(client, admin):
    _add(client, "agreement", title="用户协议（2026版）", body="第一条")
    row_id = db.session.scalar(select(SiteContent.id))
    token = csrf_token(client, f"/site-content/edit/{row_id}")

    response = client.post(
        f"/site-content/edit/{row_id}",
        data={"csrf_token": token, "title": "", "body": "第一条\n\n第二条", "url": ""},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    page = client.get("/apply/pages/agreement").get_data(as_text=True)
    assert "<h1>用户协议</h1>" in page
    assert "<p>第二条</p>" in page


def test_a_key_can_have_content_only_once(client, admin):
    _add(client, "contact", body="电话")

    response = _add(client, "contact", body="邮件")

    assert "该内容项已存在，请直接编辑。" in response.get_data(as_text=True)


def test_site_content_editor_is_for_the_platform_admin_only(client, world):
    society = world.society()
    account_id, identity_id = world.account(
        "王学会", "13800000001", IdentityKind.SOCIETY_CONTACT, society=society
    )
    login(client, account_id, identity_id)

    response = client.get("/site-content/list/")

    assert response.status_code in (302, 403)
    assert "网站内容管理" not in client.get("/enterprise-channels/").get_data(
        as_text=True
    )


def test_admin_edit_checks_the_file_against_the_items_own_kind(client, admin):
    _add(client, "guide", upload=(io.BytesIO(PDF), "guide.pdf"))
    row_id = db.session.scalar(select(SiteContent.id))
    token = csrf_token(client, f"/site-content/edit/{row_id}")
    form = {"csrf_token": token, "title": "", "body": "", "url": ""}

    refused = client.post(
        f"/site-content/edit/{row_id}",
        data={**form, "upload": (io.BytesIO(MP4), "guide.pdf")},
        content_type="multipart/form-data",
    )
    removed = client.post(
        f"/site-content/edit/{row_id}",
        data={**form, "remove_file": "y"},
        content_type="multipart/form-data",
    )

    assert "申请指南请上传 PDF 文件。" in refused.get_data(as_text=True)
    assert removed.status_code == 302
    db.session.rollback()
    row = db.session.get(SiteContent, row_id)
    assert (row.file_name, row.file_data) == (None, None)
    assert 'id="guide-download"' not in client.get("/apply/").get_data(as_text=True)
