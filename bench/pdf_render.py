"""Benchmark: a 10-page 工程会员申请表 PDF from app/services/pdf.py.

The document has the photo, the basic fields, long repeatable tables (工作经历,
工程实践经历 with 300-character contributions) and the declaration. Prints the first
render (WeasyPrint, fontconfig and the fonts loaded) apart from the median of REPEAT
later renders, the page count and the file size.

    .venv/bin/python bench/pdf_render.py
"""

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from app import create_app  # noqa: E402
from app.services.pdf import Document, Field, Paragraph, Section, Table, render_pdf  # noqa: E402

REPEAT = 5
CONTRIBUTION = (
    "负责项目总体技术方案的编制与论证，主持解决大跨度钢结构安装、深基坑支护与地下水控制等关键技术难题，"
    "组织编写专项施工方案十二项，形成企业级工法两项、发明专利一项，项目获得省级优质工程奖。"
) * 3


def document() -> Document:
    buffer = io.BytesIO()
    Image.new("RGB", (413, 626), (67, 142, 219)).save(buffer, "JPEG", quality=92)
    basic = [
        Field(label, value)
        for label, value in [
            ("姓名", "欧阳𠀋龘"),
            ("姓名拼音", "OUYANG SHANSHAN"),
            ("性别", "男"),
            ("出生日期", "1980-05-17"),
            ("政治面貌", "中共党员"),
            ("籍贯", "湖南省长沙市"),
            ("民族", "汉族"),
            ("证件类型", "居民身份证"),
            ("工作单位", "中国建筑第八工程局有限公司"),
            ("职务", "总工程师"),
            ("专业技术职称", "正高级工程师"),
            ("通讯地址", "上海市浦东新区世纪大道〇〇号"),
            ("手机", "13900001111"),
            ("邮箱", "ouyang@example.com"),
        ]
    ]
    work = Table(
        ["起止时间", "工作单位", "职务"],
        [
            [f"{1990 + i}.07–{1991 + i}.06", f"中建八局第{i + 1}公司", "项目工程师"]
            for i in range(30)
        ],
        widths=[2, 5, 2],
    )
    projects = Table(
        ["项目名称", "起止时间", "角色", "本人贡献"],
        [
            [
                f"某市轨道交通{i + 1}号线土建工程",
                "2010.01–2012.12",
                "技术负责人",
                CONTRIBUTION[:300],
            ]
            for i in range(24)
        ],
        widths=[3, 2, 2, 8],
    )
    return Document(
        title="工程会员申请表",
        applicant_name="欧阳𠀋龘",
        photo=buffer.getvalue(),
        sections=[
            Section("基本情况", basic),
            Section("工作经历", [work]),
            Section("工程实践经历", [projects]),
            Section("诚信承诺", [Paragraph(CONTRIBUTION * 2)]),
        ],
    )


def main() -> None:
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    doc = document()
    with app.app_context(), app.test_request_context():
        start = time.perf_counter()
        first = render_pdf(doc)
        cold = time.perf_counter() - start
        runs = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            render_pdf(doc)
            runs.append(time.perf_counter() - start)
    pages = len(PdfReader(io.BytesIO(first)).pages)
    print(f"pages {pages}, {len(first):,} bytes")
    print(
        f"first render {cold * 1000:.0f} ms; then median {statistics.median(runs) * 1000:.0f} ms "
        f"(min {min(runs) * 1000:.0f}, max {max(runs) * 1000:.0f}) over {REPEAT}"
    )


if __name__ == "__main__":
    main()
