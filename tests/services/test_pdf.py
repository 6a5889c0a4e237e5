"""PDF copies of app/services/pdf.py: every CJK character readable back exactly, the
photo embedded with its pixels at 35×53 mm, page numbers, the footer, nothing fetched.
Text is read back with pypdf."""

import datetime as dt
import io
import unicodedata

import pytest
from flask_babel import force_locale
from PIL import Image
from pypdf import PdfReader

from app import create_app
from app.services import pdf
from app.services.pdf import Document, Field, Paragraph, Section, Table

MM = 72 / 25.4
GENERATED = dt.datetime(
    2026, 1, 31, 17, 30, tzinfo=dt.UTC
)  # 2026-02-01 01:30 in Shanghai
SPECIAL = "𠀋龘〇，。：；！？“”‘’（）【】《》、…—～·"
PARAGRAPH = (
    "本人郑重承诺：所填写的个人信息、教育经历、工作经历、工程实践经历及获奖与成果均真实、准确、完整，"
    "所提交的证明材料均为原件的真实扫描件，不存在任何虚假记载、误导性陈述或重大遗漏；"
    "如有不实，本人愿意承担由此产生的一切后果，并接受学会依据相关规定作出的处理决定，"
    "包括但不限于撤销评价结果、注销会员资格以及在一定期限内不得再次申请。"
    "本人同意学会在评价工作范围内使用上述信息，并配合学会开展必要的核实工作。"
)
PARAGRAPH = (PARAGRAPH * 2)[:300]


@pytest.fixture(scope="module")
def app():
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context(), app.test_request_context():
        yield app


def photo(fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (413, 626), (67, 142, 219)).save(buffer, fmt)
    return buffer.getvalue()


def render(document: Document) -> PdfReader:
    return PdfReader(io.BytesIO(pdf.render_pdf(document, generated_at=GENERATED)))


def text_of(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def unwrapped(text: str) -> str:
    """Page text without the line breaks that wrapping put in."""
    return text.replace("\n", "")


def application(
    rows: int = 3, *, name: str = "张𠀋龘", with_photo: bool = True
) -> Document:
    return Document(
        title="工程会员申请表",
        applicant_name=name,
        photo=photo() if with_photo else None,
        sections=[
            Section(
                "基本情况",
                [
                    Field("姓名", name),
                    Field("姓名拼音", "ZHANG SANSI"),
                    Field("性别", "男"),
                    Field("通讯地址", "北京市海淀区中关村南大街〇号"),
                ],
            ),
            Section(
                "工作经历",
                [
                    Table(
                        ["起止时间", "工作单位", "职务"],
                        [
                            [
                                f"{2000 + i}.01–{2001 + i}.12",
                                f"中国建筑第八工程局有限公司第{i + 1}项目部",
                                "项目总工程师",
                            ]
                            for i in range(rows)
                        ],
                        widths=[2, 5, 2],
                    )
                ],
            ),
            Section("诚信承诺", [Paragraph(PARAGRAPH)]),
        ],
    )


# --- text ---------------------------------------------------------------------------


def test_render_pdf_text_reads_back_exactly(app):
    document = Document(
        title="工程会员申请表",
        applicant_name="张三",
        sections=[Section("特殊字符", [Field("字符", SPECIAL), Paragraph(PARAGRAPH)])],
    )

    text = unwrapped(text_of(render(document))[0])

    assert len(PARAGRAPH) == 300
    assert SPECIAL in text
    assert PARAGRAPH in text
    assert "工程会员申请表" in text


# Characters Noto Sans CJK lacks, drawn from the fallback fonts: Extension B, C, D, E
# and F, characters added in Unicode 13 and 14 (BMP and Extension A), and 𰀀 of
# Extension G.
RARE = "𠀁𠀂𪜀𫝀𫠠𬺰䶶鿰𪛗𰀀"


def test_render_pdf_rare_characters_outside_noto_read_back_exactly(app):
    document = Document(
        title="生僻字",
        applicant_name=RARE[:2],
        sections=[Section("姓名", [Field("姓名", RARE)])],
    )

    text = unwrapped(text_of(render(document))[0])

    assert RARE in text


def test_font_chain_has_a_glyph_for_every_cjk_ideograph_to_extension_f():
    from fontTools.ttLib import TTCollection, TTFont

    pdf.require_font()
    maps = []
    for family in (pdf.FONT_FAMILY, *pdf.FALLBACK_FAMILIES):
        path = pdf._fc_match(family)
        assert path, f"{family} is not installed: run scripts/install-fonts.sh"
        if path.endswith((".ttc", ".otc")):
            maps.extend(
                font.getBestCmap() for font in TTCollection(path, lazy=True).fonts[:1]
            )
        else:
            maps.append(TTFont(path, lazy=True).getBestCmap())
    blocks = {
        "URO": (0x4E00, 0x9FFF),
        "Extension A": (0x3400, 0x4DBF),
        "Extension B": (0x20000, 0x2A6DF),
        "Extension C": (0x2A700, 0x2B73F),
        "Extension D": (0x2B740, 0x2B81F),
        "Extension E": (0x2B820, 0x2CEAF),
        "Extension F": (0x2CEB0, 0x2EBEF),
        "Compatibility": (0xF900, 0xFAFF),
        "Compatibility Supplement": (0x2F800, 0x2FA1F),
        "CJK Symbols and Punctuation": (0x3000, 0x303F),
        "Halfwidth and Fullwidth Forms": (0xFF01, 0xFF60),
    }

    missing = {
        name: [
            f"U+{code:04X}"
            for code in range(first, last + 1)
            if unicodedata.name(chr(code), None)
            and not any(code in cmap for cmap in maps)
        ]
        for name, (first, last) in blocks.items()
    }

    assert {name: codes[:5] for name, codes in missing.items() if codes} == {}


def test_render_pdf_values_are_text_not_markup(app):
    hostile = (
        '<b>粗体</b> <img src="http://example.invalid/x.png"> </style> "引号" \\反斜杠'
    )
    document = Document(
        title="转义",
        applicant_name='王"</style>\\',
        sections=[Section("测试", [Field("内容", hostile)])],
    )

    text = unwrapped(text_of(render(document))[0])

    assert hostile.replace(" ", "") in text.replace(" ", "")
    assert '申请人：王"</style>\\' in text


def test_render_pdf_keeps_line_breaks_of_a_value(app):
    document = Document(
        title="换行",
        applicant_name="张三",
        sections=[Section("测试", [Field("地址", "第一行\n第二行")])],
    )

    text = text_of(render(document))[0]

    assert "第一行\n第二行" in text


# --- photo -------------------------------------------------------------------------------


def _drawn_images(page) -> dict[str, tuple[float, float]]:
    """{XObject name: (width, height) in points} of the images the page draws."""
    drawn = {}

    def visit(operator, operands, cm, tm):
        if operator == b"Do":
            drawn[operands[0]] = (abs(cm[0]) + abs(cm[2]), abs(cm[1]) + abs(cm[3]))

    page.extract_text(visitor_operand_before=visit)
    return drawn


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_render_pdf_embeds_the_photo_with_its_pixels_at_35_by_53_mm(app, fmt):
    document = Document(
        title="工程会员申请表",
        applicant_name="张三",
        photo=photo(fmt),
        sections=application().sections,
    )

    page = render(document).pages[0]
    images = page.images
    drawn = _drawn_images(page)

    assert len(images) == 1
    assert images[0].image.size == (413, 626)
    ((width, height),) = drawn.values()
    assert width == pytest.approx(35 * MM, abs=0.5)
    assert height == pytest.approx(53 * MM, abs=0.5)


def test_render_pdf_photo_without_leading_fields_is_shown_alone(app):
    document = Document(
        title="申请表",
        applicant_name="张三",
        photo=photo(),
        sections=[Section("承诺", [Paragraph("文字")])],
    )

    page = render(document).pages[0]

    assert [image.image.size for image in page.images] == [(413, 626)]


def test_render_pdf_without_photo_has_no_image(app):
    page = render(application(with_photo=False)).pages[0]

    assert len(page.images) == 0


# --- pages and footer ---------------------------------------------------------------------


def test_render_pdf_footer_has_name_page_of_pages_and_shanghai_time(app):
    pages = text_of(render(application(rows=120)))

    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "申请人：张𠀋龘" in text.replace(" ", "")
        assert f"第 {number} 页，共 {len(pages)} 页" in text
        assert "生成时间：2026-02-01 01:30" in text


def test_render_pdf_repeats_the_table_header_on_each_page(app):
    pages = text_of(render(application(rows=120)))

    table_pages = [text for text in pages if "项目部" in text]
    assert len(table_pages) >= 2
    assert all("起止时间" in text and "工作单位" in text for text in table_pages)


def test_render_pdf_footer_follows_the_language(app):
    with force_locale("en"):
        text = text_of(render(application(with_photo=False)))[0]

    assert "Page 1 of 1" in text
    assert "Generated 2026-02-01 01:30" in text


def test_render_pdf_empty_table_shows_a_dash(app):
    document = Document(
        title="表",
        applicant_name="张三",
        sections=[Section("获奖与成果", [Table(["名称", "时间"], [])])],
    )

    text = text_of(render(document))[0]

    assert "名称" in text and "—" in text


def test_render_pdf_metadata_does_not_hold_the_applicant(app):
    reader = render(application(name="李四"))

    assert "李四" not in str(reader.metadata)


def test_render_pdf_from_two_threads_gives_two_whole_documents(app):
    import threading

    results = {}
    start = threading.Barrier(2)

    def render_for(name: str) -> None:
        with app.test_request_context():
            start.wait()
            results[name] = pdf.render_pdf(
                application(name=name), generated_at=GENERATED
            )

    threads = [
        threading.Thread(target=render_for, args=(name,)) for name in ("赵一", "钱二")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for name, data in results.items():
        assert f"申请人：{name}" in PdfReader(io.BytesIO(data)).pages[
            0
        ].extract_text().replace(" ", "")
    assert len(results) == 2


# --- what is fetched and what is required ----------------------------------------------------


def test_fetcher_serves_only_the_given_resources(app):
    weasyprint = pdf._weasyprint()
    fetcher = pdf._fetcher(weasyprint, {pdf.PHOTO_URL: (b"data", "image/jpeg")})

    assert fetcher(pdf.PHOTO_URL).read() == b"data"
    for url in (
        "http://127.0.0.1/x.png",
        "file:///etc/passwd",
        "data:text/plain,hello",
    ):
        with pytest.raises(ValueError):
            fetcher(url)


def test_css_string_escapes_everything_but_letters_and_digits():
    assert pdf._css_string('张三 A1"\\\n') == '"张三 A1\\000022\\00005c\\00000a"'


def test_render_pdf_without_the_font_names_the_package(app, monkeypatch):
    monkeypatch.setattr(pdf, "_font_path", None)
    monkeypatch.setattr(pdf, "_fc_match", lambda family: None)
    monkeypatch.setattr(
        pdf, "KNOWN_FONT_PATHS", ("/nonexistent/NotoSansCJK-Regular.ttc",)
    )

    with pytest.raises(pdf.PdfUnavailable, match="fonts-noto-cjk"):
        pdf.render_pdf(application())


def test_render_pdf_refuses_a_photo_that_is_not_jpeg_or_png(app):
    document = Document(title="表", applicant_name="张三", photo=b"GIF89a....")

    with pytest.raises(ValueError):
        pdf.render_pdf(document)
