"""Countries and regions (ISO 3166-1) with their Chinese names.

Names come from pycountry's ISO 3166 data and its zh_CN catalog, corrected where the
catalog differs from the short names of the Ministry of Foreign Affairs' list of
countries and regions (柬埔寨, not 柬埔塞; 韩国, not 大韩民国); 中国香港, 中国澳门 and
中国台湾 are named so whatever the catalog says. Chinese names sort by pinyin.
"""

import gettext
from functools import lru_cache

import pycountry
from flask_babel import get_locale
from pypinyin import Style, lazy_pinyin, load_phrases_dict

CHINESE_OVERRIDES = {
    "HK": "中国香港",
    "MO": "中国澳门",
    "TW": "中国台湾",
    "CN": "中国",
    # the catalog's misspellings and long formal names, by the MFA's short names
    "KH": "柬埔寨",
    "GT": "危地马拉",
    "MT": "马耳他",
    "KG": "吉尔吉斯斯坦",
    "BD": "孟加拉国",
    "SY": "叙利亚",
    "BO": "玻利维亚",
    "KP": "朝鲜",
    "KR": "韩国",
    "LA": "老挝",
    "IR": "伊朗",
    "VE": "委内瑞拉",
    "MD": "摩尔多瓦",
    "SZ": "斯威士兰",
    "CG": "刚果（布）",
    "CD": "刚果（金）",
    "FM": "密克罗尼西亚联邦",
    "PN": "皮特凯恩群岛",
    "TZ": "坦桑尼亚",
    "VN": "越南",
    "RU": "俄罗斯",
    "FK": "马尔维纳斯群岛（福克兰）",
    "CC": "科科斯（基林）群岛",
    "PF": "法属波利尼西亚",
    "SH": "圣赫勒拿、阿森松和特里斯坦-达库尼亚",
}
ENGLISH_OVERRIDES = {
    "HK": "Hong Kong, China",
    "MO": "Macao, China",
    "TW": "Taiwan, China",
    "CN": "China",
}


# Readings pypinyin gets wrong in country names, for the pinyin order.
load_phrases_dict({"秘鲁": [["mì"], ["lǔ"]]})


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
        rows.sort(key=lambda row: (row[0] != "CN", lazy_pinyin(row[1], style=Style.TONE3), row[1]))
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
