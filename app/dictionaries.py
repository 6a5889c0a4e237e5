"""The standard code lists of the member application's 基本情况 (SPEC §4).

Each list keeps the codes and order of its standard, the Chinese name as the standard
(or /work/shared/data/reference.md) writes it, and a title in the page's language (an
English message id whose Chinese translation is that name; a test keeps them equal).

- 政治面貌: GB/T 4762, codes 01-13. Code 12 is written 无党派人士 as in current use (the
  1984 standard says 无党派民主人士).
- 民族: GB/T 3304, the 56 ethnic groups, codes 01-56. 97 其他 and 98 外国血统中国籍人士
  of the standard are not offered.
- 性别: GB/T 2261.1, 1 男 and 2 女 (the standard's 0 未知的性别 and 9 未说明的性别 are
  not offered on a form a person fills for themselves).
- 证件类型: this system's codes, app/services/id_numbers.py.
- 工程会员级别: the levels an applicant may ask for; 见习 (associate) is never offered.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_pgettext

from app.models.applications import MEMBER_LEVEL_TITLES
from app.services.id_numbers import ID_KIND_TITLES, ID_KINDS


@dataclass(frozen=True)
class Dictionary:
    """A code list: (code, Chinese name) entries in the standard's order, and titles."""

    entries: tuple[tuple[str, str], ...]
    titles: Mapping[str, object]

    @classmethod
    def of(cls, rows) -> "Dictionary":
        """From (code, Chinese name, title) rows."""
        return cls(
            tuple((code, name) for code, name, _ in rows),
            {code: title for code, _, title in rows},
        )

    def __contains__(self, code: object) -> bool:
        return code in self.titles

    def name(self, code: str | None) -> str | None:
        """The Chinese name of a code, None when unknown."""
        return dict(self.entries).get(code or "")

    def code(self, name: str | None) -> str | None:
        """The code of a Chinese name, None when unknown."""
        return next(
            (code for code, entry_name in self.entries if entry_name == name), None
        )

    def title(self, code: str | None) -> str:
        """The name in the current language, "" when unknown."""
        title = self.titles.get(code or "")
        return str(title) if title is not None else ""

    def choices(self) -> list[tuple[str, object]]:
        """(code, lazy title) pairs for a select field."""
        return [(code, self.titles[code]) for code, _ in self.entries]


POLITICAL_STATUS = Dictionary.of(
    (
        (
            "01",
            "中国共产党党员",
            lazy_pgettext("political status", "Member of the Communist Party of China"),
        ),
        (
            "02",
            "中国共产党预备党员",
            lazy_pgettext(
                "political status",
                "Probationary member of the Communist Party of China",
            ),
        ),
        (
            "03",
            "中国共产主义青年团团员",
            lazy_pgettext(
                "political status", "Member of the Communist Youth League of China"
            ),
        ),
        (
            "04",
            "中国国民党革命委员会会员",
            lazy_pgettext(
                "political status",
                "Member of the Revolutionary Committee of the Chinese Kuomintang",
            ),
        ),
        (
            "05",
            "中国民主同盟盟员",
            lazy_pgettext("political status", "Member of the China Democratic League"),
        ),
        (
            "06",
            "中国民主建国会会员",
            lazy_pgettext(
                "political status",
                "Member of the China National Democratic Construction Association",
            ),
        ),
        (
            "07",
            "中国民主促进会会员",
            lazy_pgettext(
                "political status",
                "Member of the China Association for Promoting Democracy",
            ),
        ),
        (
            "08",
            "中国农工民主党党员",
            lazy_pgettext(
                "political status",
                "Member of the Chinese Peasants' and Workers' Democratic Party",
            ),
        ),
        (
            "09",
            "中国致公党党员",
            lazy_pgettext("political status", "Member of the China Zhi Gong Party"),
        ),
        (
            "10",
            "九三学社社员",
            lazy_pgettext("political status", "Member of the Jiusan Society"),
        ),
        (
            "11",
            "台湾民主自治同盟盟员",
            lazy_pgettext(
                "political status",
                "Member of the Taiwan Democratic Self-Government League",
            ),
        ),
        ("12", "无党派人士", lazy_pgettext("political status", "Non-party personage")),
        ("13", "群众", lazy_pgettext("political status", "Ordinary citizen")),
    )
)

ETHNIC_GROUP = Dictionary.of(
    (
        ("01", "汉族", lazy_pgettext("ethnic group", "Han")),
        ("02", "蒙古族", lazy_pgettext("ethnic group", "Mongolian")),
        ("03", "回族", lazy_pgettext("ethnic group", "Hui")),
        ("04", "藏族", lazy_pgettext("ethnic group", "Tibetan")),
        ("05", "维吾尔族", lazy_pgettext("ethnic group", "Uygur")),
        ("06", "苗族", lazy_pgettext("ethnic group", "Miao")),
        ("07", "彝族", lazy_pgettext("ethnic group", "Yi")),
        ("08", "壮族", lazy_pgettext("ethnic group", "Zhuang")),
        ("09", "布依族", lazy_pgettext("ethnic group", "Bouyei")),
        ("10", "朝鲜族", lazy_pgettext("ethnic group", "Korean")),
        ("11", "满族", lazy_pgettext("ethnic group", "Manchu")),
        ("12", "侗族", lazy_pgettext("ethnic group", "Dong")),
        ("13", "瑶族", lazy_pgettext("ethnic group", "Yao")),
        ("14", "白族", lazy_pgettext("ethnic group", "Bai")),
        ("15", "土家族", lazy_pgettext("ethnic group", "Tujia")),
        ("16", "哈尼族", lazy_pgettext("ethnic group", "Hani")),
        ("17", "哈萨克族", lazy_pgettext("ethnic group", "Kazak")),
        ("18", "傣族", lazy_pgettext("ethnic group", "Dai")),
        ("19", "黎族", lazy_pgettext("ethnic group", "Li")),
        ("20", "傈僳族", lazy_pgettext("ethnic group", "Lisu")),
        ("21", "佤族", lazy_pgettext("ethnic group", "Va")),
        ("22", "畲族", lazy_pgettext("ethnic group", "She")),
        ("23", "高山族", lazy_pgettext("ethnic group", "Gaoshan")),
        ("24", "拉祜族", lazy_pgettext("ethnic group", "Lahu")),
        ("25", "水族", lazy_pgettext("ethnic group", "Shui")),
        ("26", "东乡族", lazy_pgettext("ethnic group", "Dongxiang")),
        ("27", "纳西族", lazy_pgettext("ethnic group", "Naxi")),
        ("28", "景颇族", lazy_pgettext("ethnic group", "Jingpo")),
        ("29", "柯尔克孜族", lazy_pgettext("ethnic group", "Kirgiz")),
        ("30", "土族", lazy_pgettext("ethnic group", "Tu")),
        ("31", "达斡尔族", lazy_pgettext("ethnic group", "Daur")),
        ("32", "仫佬族", lazy_pgettext("ethnic group", "Mulao")),
        ("33", "羌族", lazy_pgettext("ethnic group", "Qiang")),
        ("34", "布朗族", lazy_pgettext("ethnic group", "Blang")),
        ("35", "撒拉族", lazy_pgettext("ethnic group", "Salar")),
        ("36", "毛南族", lazy_pgettext("ethnic group", "Maonan")),
        ("37", "仡佬族", lazy_pgettext("ethnic group", "Gelao")),
        ("38", "锡伯族", lazy_pgettext("ethnic group", "Xibe")),
        ("39", "阿昌族", lazy_pgettext("ethnic group", "Achang")),
        ("40", "普米族", lazy_pgettext("ethnic group", "Pumi")),
        ("41", "塔吉克族", lazy_pgettext("ethnic group", "Tajik")),
        ("42", "怒族", lazy_pgettext("ethnic group", "Nu")),
        ("43", "乌孜别克族", lazy_pgettext("ethnic group", "Uzbek")),
        ("44", "俄罗斯族", lazy_pgettext("ethnic group", "Russian")),
        ("45", "鄂温克族", lazy_pgettext("ethnic group", "Ewenki")),
        ("46", "德昂族", lazy_pgettext("ethnic group", "De'ang")),
        ("47", "保安族", lazy_pgettext("ethnic group", "Bonan")),
        ("48", "裕固族", lazy_pgettext("ethnic group", "Yugur")),
        ("49", "京族", lazy_pgettext("ethnic group", "Gin")),
        ("50", "塔塔尔族", lazy_pgettext("ethnic group", "Tatar")),
        ("51", "独龙族", lazy_pgettext("ethnic group", "Derung")),
        ("52", "鄂伦春族", lazy_pgettext("ethnic group", "Oroqen")),
        ("53", "赫哲族", lazy_pgettext("ethnic group", "Hezhen")),
        ("54", "门巴族", lazy_pgettext("ethnic group", "Monba")),
        ("55", "珞巴族", lazy_pgettext("ethnic group", "Lhoba")),
        ("56", "基诺族", lazy_pgettext("ethnic group", "Jino")),
    )
)

SEX = Dictionary.of(
    (
        ("1", "男", lazy_pgettext("sex", "Male")),
        ("2", "女", lazy_pgettext("sex", "Female")),
    )
)

ID_TYPE = Dictionary(
    tuple((str(code), name) for code, name in ID_KINDS),
    {str(k): v for k, v in ID_KIND_TITLES.items()},
)

# The Chinese names of reference.md; the titles are the ones the applications use.
MEMBER_LEVEL = Dictionary(
    (("professional", "专业工程会员"), ("senior", "资深工程会员")),
    MEMBER_LEVEL_TITLES,
)

POLITICAL_STATUSES = POLITICAL_STATUS.entries
ETHNIC_GROUPS = ETHNIC_GROUP.entries
SEXES = SEX.entries
ID_TYPES = ID_TYPE.entries
MEMBER_LEVELS = MEMBER_LEVEL.entries
