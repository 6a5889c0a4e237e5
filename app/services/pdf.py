"""Printable PDF copies of sectioned documents (the 工程会员申请表 first, SPEC §4).

A ``Document`` is a title, the applicant's name, an optional photo and sections of
label/value fields, repeatable tables and paragraphs; ``render_pdf`` makes an A4 PDF
of it with the photo at 35×53 mm (the passport-photo print size, 413×626 px at 300
dpi, embedded with its own pixels), long text wrapped, table headers repeated on each
page, and a footer with the applicant's name, the page number and the time it was
generated (Asia/Shanghai).

Library: WeasyPrint (HTML and CSS to PDF). It lays text out with the system's Pango and
HarfBuzz, so CJK lines break by the Unicode rules (no line starts with 。 or ）), a
character missing from the main font is taken from the next font that has it
(fontconfig), tables repeat their header on a new page, and the footer's page numbers
are CSS counters. Its PDFs keep each glyph's Unicode mapping, so text copied or
extracted from them is the text that was given (tested with pypdf, including 𠀋 outside
the Basic Multilingual Plane). fpdf2 was tried first: its CFF-font output (Noto CJK is a
CFF font) could not be read back by pypdf or pdfminer, it breaks lines without the CJK
rules and it parsed the 20 MB font on every document (about 2.3 s against 0.2 s for
one page). ReportLab cannot embed CFF-outline fonts at all. WeasyPrint needs the system
Pango (≥ 1.44; the Debian machines have 1.50) and the fonts below; both are Debian
packages that ``scripts/install-fonts.sh`` installs (``make run`` and ``make test`` call
it).

Fonts: Noto Sans CJK SC (Debian ``fonts-noto-cjk``, SIL Open Font Licence) is required
and found through fontconfig (``fc-match``) or its known paths; rendering stops with a
``PdfUnavailable`` error that names the package when it is missing. No font file is
kept in this repository: a name may hold any CJK character, so a subset will not do,
and the whole font is 19 MB. Noto covers the CJK Unified Ideographs of the BMP and
Extension A but only about 5 % of Extension B, so two fallbacks are named after it:
HanaMinA/HanaMinB (``fonts-hanazono``) cover Extensions B to F, and BabelStone Han
(``fonts-babelstone-han``) the characters Unicode 11 to 14 added to those blocks and
part of Extension G (tests/services/test_pdf.py checks every ideograph up to Extension
F). A character no installed font has (about 1,900 of Extension G) is drawn as a box.
The PDF embeds only the glyphs it uses.

Nothing is fetched while rendering: the only resource the document may load is the
photo given to ``render_pdf``; any other URL is refused.
"""

import datetime as dt
import logging
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from jinja2 import Environment

from app.services.photos import CONTENT_TYPES, identify
from app.times import format_local

logger = logging.getLogger(__name__)

FONT_FAMILY = "Noto Sans CJK SC"
FONT_PACKAGE = "fonts-noto-cjk"
FALLBACK_FAMILIES = ("HanaMinA", "HanaMinB", "BabelStone Han")
KNOWN_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
)
PHOTO_URL = "resource:photo"
# One render at a time per process: WeasyPrint's calls into Pango and fontconfig are
# not documented as thread-safe, and a 10-page copy takes about a second
# (bench/pdf_render.py).
_RENDER_LOCK = threading.Lock()
# The photo's print size: 35×53 mm, where 413×626 px are 300 dpi.
PHOTO_WIDTH_MM, PHOTO_HEIGHT_MM = 35, 53
# The CSS font-family list: the main font, then the fallbacks.
_FONTS = ", ".join(f'"{family}"' for family in (FONT_FAMILY, *FALLBACK_FAMILIES))


class PdfUnavailable(RuntimeError):
    """The PDF cannot be made on this machine (a system font or library is missing);
    the message says what to install. Shown to operators, not to applicants."""


@dataclass(frozen=True)
class Field:
    """One label/value row; a value may be long and hold line breaks."""

    label: str
    value: str | None


@dataclass(frozen=True)
class Table:
    """A repeatable part (教育经历, 工作经历, ...): column titles and rows of cells;
    ``widths`` are the columns' relative widths, ``empty`` is shown when there is no row."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str | None]]
    widths: Sequence[float] | None = None
    empty: str = "—"


@dataclass(frozen=True)
class Paragraph:
    """Running text, such as the 诚信承诺 declaration."""

    text: str


@dataclass(frozen=True)
class Section:
    """A titled part of the document; its items are shown in order, consecutive fields
    as one two-column table."""

    title: str
    items: Sequence[Field | Table | Paragraph] = ()


@dataclass(frozen=True)
class Document:
    """What ``render_pdf`` prints. ``photo`` is the stored 413×626 JPEG or PNG; it is
    shown beside the first fields of the first section."""

    title: str
    applicant_name: str
    sections: Sequence[Section] = ()
    photo: bytes | None = None
    subtitle: str | None = None


def render_pdf(document: Document, *, generated_at: dt.datetime | None = None) -> bytes:
    """The document as PDF bytes; ``generated_at`` (default now) is printed in
    Asia/Shanghai time. Raises PdfUnavailable when the font or Pango is missing."""
    require_font()
    weasyprint = _weasyprint()

    generated_at = generated_at or dt.datetime.now(dt.UTC)
    resources = {}
    photo_type = None
    if document.photo:
        photo_type = _image_type(document.photo)
        resources[PHOTO_URL] = (document.photo, photo_type)
    fetcher = _fetcher(weasyprint, resources)

    html = _TEMPLATE.render(
        document=document,
        blocks=[
            _blocks(section, photo=bool(resources) and index == 0)
            for index, section in enumerate(document.sections)
        ],
        photo_alone=bool(resources) and not _first_fields(document),
        photo_url=PHOTO_URL,
        photo_mm=(PHOTO_WIDTH_MM, PHOTO_HEIGHT_MM),
        fonts=_FONTS,
    )
    page_css = _page_css(document.applicant_name, generated_at)

    with _RENDER_LOCK:
        pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
            stylesheets=[weasyprint.CSS(string=page_css, url_fetcher=fetcher)],
        )
    logger.info("pdf rendered: %d sections, %d bytes", len(document.sections), len(pdf))
    return pdf


# --- fonts and the library -------------------------------------------------------

_font_path: str | None = None


def require_font() -> str:
    """The file of Noto Sans CJK SC, or PdfUnavailable naming the package to install."""
    global _font_path
    if _font_path is None:
        found = _fc_match(FONT_FAMILY) or next(
            (p for p in KNOWN_FONT_PATHS if Path(p).is_file()), None
        )
        if found is None:
            logger.error("pdf: font %s not found", FONT_FAMILY)
            raise PdfUnavailable(
                f"The PDF copy needs the font {FONT_FAMILY} (Debian package {FONT_PACKAGE}): "
                "run scripts/install-fonts.sh, or apt-get install fonts-noto-cjk."
            )
        missing = [family for family in FALLBACK_FAMILIES if not _fc_match(family)]
        if missing:
            logger.warning(
                "pdf: fallback fonts %s not installed; rare CJK characters outside %s show as boxes "
                "(scripts/install-fonts.sh installs them)",
                ", ".join(missing),
                FONT_FAMILY,
            )
        _font_path = found
    return _font_path


def _fc_match(family: str) -> str | None:
    """The file fontconfig uses for ``family`` when it is that family, else None."""
    if shutil.which("fc-match") is None:
        return None
    try:
        output = subprocess.run(
            ["fc-match", "-f", "%{family}\n%{file}", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _, path = output.partition("\n")
    if family in (name.strip() for name in families.split(",")) and path:
        return path
    return None


def _weasyprint():
    """The weasyprint module, imported on first use: it loads Pango when imported."""
    try:
        import weasyprint
    except OSError as exc:
        logger.error("pdf: WeasyPrint cannot load its system libraries (%s)", exc)
        raise PdfUnavailable(
            "The PDF copy needs the system libraries Pango and HarfBuzz (Debian packages "
            "libpango-1.0-0 and libpangoft2-1.0-0): run scripts/install-fonts.sh."
        ) from exc
    # Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES to True,
    # which would make app/services/photos.py accept cut-off uploads. The PDF only
    # embeds photos that check already decoded in full, so the strict default returns.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def _fetcher(weasyprint, resources: dict[str, tuple[bytes, str]]):
    """A URL fetcher that serves ``resources`` and refuses everything else."""

    class Fetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if url in resources:
                data, content_type = resources[url]
                return weasyprint.urls.URLFetcherResponse(
                    url, data, {"Content-Type": content_type}
                )
            raise ValueError("a PDF copy loads no external resource")

    return Fetcher(allowed_protocols=())


def _image_type(data: bytes) -> str:
    content_type = CONTENT_TYPES.get(identify(data) or "")
    if content_type is None:
        raise ValueError("the photo must be a JPEG or PNG file")
    return content_type


# --- layout ------------------------------------------------------------------------


def _first_fields(document: Document) -> bool:
    return bool(document.sections) and any(
        isinstance(item, Field) for item in document.sections[0].items[:1]
    )


def _blocks(section: Section, *, photo: bool) -> dict:
    """The section as blocks to draw: runs of fields, tables and paragraphs; the photo
    goes beside the first run of fields when it opens the section."""
    blocks = []
    for item in section.items:
        if isinstance(item, Field):
            if blocks and blocks[-1]["kind"] == "fields":
                blocks[-1]["fields"].append(item)
            else:
                blocks.append({"kind": "fields", "fields": [item], "photo": False})
        elif isinstance(item, Table):
            total = sum(item.widths) if item.widths else 0
            widths = [100 * width / total for width in item.widths] if total else None
            blocks.append({"kind": "table", "table": item, "widths": widths})
        else:
            blocks.append({"kind": "paragraph", "text": item.text})
    if photo and blocks and blocks[0]["kind"] == "fields":
        blocks[0]["photo"] = True
    return {"title": section.title, "blocks": blocks}


def _page_css(applicant_name: str, generated_at: dt.datetime) -> str:
    """The @page rule with the footer: the applicant, page x of y, the time generated.

    The footer's words come from the catalog with named placeholders (word order
    differs between languages); the page numbers are CSS counters put where the
    placeholders were, and every text is a CSS string with its characters escaped."""
    applicant = _css_string(str(_l("Applicant: %(name)s", name=applicant_name)))
    generated = _css_string(
        str(_l("Generated %(time)s", time=format_local(generated_at)))
    )
    page = str(_l("Page %(page)s of %(pages)s", page="\x01", pages="\x02"))
    tokens = []
    for part in (
        page.replace("\x01", "\x00\x01\x00")
        .replace("\x02", "\x00\x02\x00")
        .split("\x00")
    ):
        if part == "\x01":
            tokens.append("counter(page)")
        elif part == "\x02":
            tokens.append("counter(pages)")
        elif part:
            tokens.append(_css_string(part))
    return _PAGE_CSS % {
        "fonts": _FONTS,
        "applicant": applicant,
        "page": " ".join(tokens) or '""',
        "generated": generated,
    }


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal: letters and digits as they are, every other
    character as a six-digit escape (so quotes, backslashes and line breaks are safe)."""
    return (
        '"'
        + "".join(
            ch if ch.isalnum() or ch == " " else f"\\{ord(ch):06x}" for ch in text
        )
        + '"'
    )


_PAGE_CSS = """
@page {
  size: A4;
  margin: 16mm 15mm 18mm 15mm;
  @bottom-left { content: %(applicant)s; font-family: %(fonts)s; font-size: 8pt; color: #333; }
  @bottom-center { content: %(page)s; font-family: %(fonts)s; font-size: 8pt; color: #333; }
  @bottom-right { content: %(generated)s; font-family: %(fonts)s; font-size: 8pt; color: #333; }
}
"""

_TEMPLATE = Environment(
    autoescape=True, trim_blocks=True, lstrip_blocks=True
).from_string(
    """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ document.title }}</title>
<style>
html { font-family: {{ fonts|safe }}; font-size: 10.5pt; line-height: 1.5; color: #000; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 2mm; }
p.subtitle { text-align: center; margin: 0 0 4mm; color: #333; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; padding-bottom: 0.8mm; border-bottom: 0.8pt solid #000; break-after: avoid; }
table { width: 100%; border-collapse: collapse; margin: 0 0 3mm; table-layout: fixed; }
th, td { border: 0.5pt solid #444; padding: 1.2mm 2mm; vertical-align: top; text-align: left; overflow-wrap: anywhere; white-space: pre-wrap; }
thead { display: table-header-group; }
thead th { background: #eee; font-weight: bold; }
tr { break-inside: avoid; }
table.fields th { width: 30mm; background: #f4f4f4; font-weight: normal; }
td.photo { width: {{ photo_mm[0] + 3 }}mm; padding: 1mm; text-align: center; vertical-align: top; }
td.photo img, div.photo img { width: {{ photo_mm[0] }}mm; height: {{ photo_mm[1] }}mm; }
div.photo { text-align: right; margin: 0 0 3mm; }
td.empty { text-align: center; color: #555; }
p.text { white-space: pre-wrap; text-align: justify; margin: 0 0 3mm; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>{{ document.title }}</h1>
{% if document.subtitle %}<p class="subtitle">{{ document.subtitle }}</p>{% endif %}
{% if photo_alone %}<div class="photo"><img src="{{ photo_url }}" alt=""></div>{% endif %}
{% for section in blocks %}
<section>
<h2>{{ section.title }}</h2>
{% for block in section.blocks %}
{% if block.kind == "fields" %}
<table class="fields">
{% if block.photo %}<colgroup><col style="width: 30mm"><col><col style="width: {{ photo_mm[0] + 3 }}mm"></colgroup>{% endif %}
{% for item in block.fields %}
<tr><th>{{ item.label }}</th><td>{{ item.value or "" }}</td>{% if block.photo and loop.first %}<td class="photo" rowspan="{{ block.fields|length }}"><img src="{{ photo_url }}" alt=""></td>{% endif %}</tr>
{% endfor %}
</table>
{% elif block.kind == "table" %}
<table class="rows">
{% if block.widths %}<colgroup>{% for width in block.widths %}<col style="width: {{ '%.2f'|format(width) }}%">{% endfor %}</colgroup>{% endif %}
<thead><tr>{% for column in block.table.columns %}<th>{{ column }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in block.table.rows %}
<tr>{% for cell in row %}<td>{{ cell or "" }}</td>{% endfor %}</tr>
{% else %}
<tr><td class="empty" colspan="{{ block.table.columns|length }}">{{ block.table.empty }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="text">{{ block.text }}</p>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""
)
