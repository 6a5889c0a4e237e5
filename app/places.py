"""Countries and regions (ISO 3166-1) with their Chinese names.

Names come from pycountry's ISO 3166 data and its zh_CN catalog; 中国香港, 中国澳门
and 中国台湾 are named so whatever the catalog says.
"""

import gettext
from functools import lru_cache

import pycountry
from flask_babel import get_locale

CHINESE_OVERRIDES = {"HK": "中国香港", "MO": "中国澳门", "TW": "中国台湾", "CN": "中国"}
ENGLISH_OVERRIDES = {
    "HK": "Hong Kong, China",
    "MO": "Macao, China",
    "TW": "Taiwan, China",
    "CN": "China",
}


@lru_cache(maxsize=1)
def _zh_catalog() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)


def _is_chinese() -> bool:
    try:
        locale = get_locale()
    except Exception:  # outside a request the default language applies
        return True
    return locale is None or locale.language == "zh"


@lru_cache(maxsize=2)
def _countries(chinese: bool) -> tuple[tuple[str, str], ...]:
    rows = []
    for country in pycountry.countries:
        code = country.alpha_2
        if chinese:
            name = CHINESE_OVERRIDES.get(code) or _zh_catalog().gettext(country.name)
        else:
            name = ENGLISH_OVERRIDES.get(code) or getattr(country, "common_name", country.name)
        rows.append((code, name))
    if chinese:
        rows.sort(key=lambda row: (row[0] != "CN", row[1].encode("gb18030")))
    else:
        rows.sort(key=lambda row: (row[0] != "CN", row[1]))
    return tuple(rows)


def country_choices() -> list[tuple[str, str]]:
    """(alpha-2, name) pairs in the current language, China first."""
    return list(_countries(_is_chinese()))


def country_name(code: str | None) -> str:
    """The display name of an alpha-2 code, or the code itself when unknown."""
    if not code:
        return ""
    return dict(_countries(_is_chinese())).get(code, code)


def is_country(code: str | None) -> bool:
    return bool(code) and pycountry.countries.get(alpha_2=code) is not None
