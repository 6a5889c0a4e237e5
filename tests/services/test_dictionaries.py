"""The code lists of app/dictionaries.py and the 籍贯 divisions of app/divisions.py."""

import pytest
from flask_babel import force_locale

from app import create_app
from app.dictionaries import (
    ETHNIC_GROUP,
    ETHNIC_GROUPS,
    ID_TYPE,
    ID_TYPES,
    MEMBER_LEVEL,
    MEMBER_LEVELS,
    POLITICAL_STATUS,
    POLITICAL_STATUSES,
    SEX,
    SEXES,
)
from app.divisions import (
    cities,
    division_name,
    divisions_under,
    is_division,
    province_of_id_region,
    provinces,
)
from app.models.applications import MEMBER_LEVEL_TITLES

ALL = {
    "political-status": POLITICAL_STATUS,
    "ethnic-group": ETHNIC_GROUP,
    "sex": SEX,
    "id-type": ID_TYPE,
    "member-level": MEMBER_LEVEL,
}


@pytest.fixture(scope="module")
def app():
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield app


# --- dictionaries -----------------------------------------------------------------


def test_political_statuses_are_the_13_of_gb_t_4762_in_order():
    assert POLITICAL_STATUSES == (
        ("01", "中国共产党党员"),
        ("02", "中国共产党预备党员"),
        ("03", "中国共产主义青年团团员"),
        ("04", "中国国民党革命委员会会员"),
        ("05", "中国民主同盟盟员"),
        ("06", "中国民主建国会会员"),
        ("07", "中国民主促进会会员"),
        ("08", "中国农工民主党党员"),
        ("09", "中国致公党党员"),
        ("10", "九三学社社员"),
        ("11", "台湾民主自治同盟盟员"),
        ("12", "无党派人士"),
        ("13", "群众"),
    )


def test_ethnic_groups_are_the_56_of_gb_t_3304_with_codes_01_to_56():
    names = (
        "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 "
        "哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
        "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 "
        "俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
    ).split()

    assert len(ETHNIC_GROUPS) == 56
    assert ETHNIC_GROUPS == tuple(
        (f"{index:02d}", name) for index, name in enumerate(names, start=1)
    )


def test_sexes_are_the_codes_of_gb_t_2261_1():
    assert SEXES == (("1", "男"), ("2", "女"))


def test_id_types_list_the_six_kinds():
    assert [name for _, name in ID_TYPES] == [
        "居民身份证",
        "护照",
        "港澳居民来往内地通行证",
        "台湾居民来往大陆通行证",
        "外国人永久居留身份证",
        "港澳台居民居住证",
    ]


def test_member_levels_never_offer_associate():
    assert MEMBER_LEVELS == (
        ("professional", "专业工程会员"),
        ("senior", "资深工程会员"),
    )
    assert set(MEMBER_LEVEL.titles) == set(MEMBER_LEVEL_TITLES)
    assert "associate" not in MEMBER_LEVEL
    assert all("见习" not in name for _, name in MEMBER_LEVELS)


@pytest.mark.parametrize("dictionary", ALL.values(), ids=ALL.keys())
def test_dictionary_codes_and_names_are_unique(dictionary):
    codes = [code for code, _ in dictionary.entries]
    names = [name for _, name in dictionary.entries]

    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert set(dictionary.titles) == set(codes)


@pytest.mark.parametrize("dictionary", ALL.values(), ids=ALL.keys())
def test_dictionary_title_in_chinese_is_the_standard_name(app, dictionary):
    with app.test_request_context():
        titles = {code: dictionary.title(code) for code, _ in dictionary.entries}

    assert titles == dict(dictionary.entries)


def test_dictionary_title_in_english(app):
    with app.test_request_context(), force_locale("en"):
        assert ETHNIC_GROUP.title("04") == "Tibetan"
        assert POLITICAL_STATUS.title("13") == "Ordinary citizen"
        assert SEX.title("2") == "Female"
        assert ID_TYPE.title("passport") == "Passport"
        assert [str(title) for _, title in SEX.choices()] == ["Male", "Female"]


def test_dictionary_lookups(app):
    assert ETHNIC_GROUP.name("08") == "壮族"
    assert ETHNIC_GROUP.code("壮族") == "08"
    assert POLITICAL_STATUS.name("99") is None
    assert POLITICAL_STATUS.code("党员") is None
    assert SEX.name(None) is None
    assert "01" in ETHNIC_GROUP
    assert "57" not in ETHNIC_GROUP
    assert ETHNIC_GROUP.title("57") == ""
    assert [code for code, _ in ID_TYPE.choices()] == [code for code, _ in ID_TYPES]


# --- divisions (籍贯) ------------------------------------------------------------


def test_provinces_are_the_34_provincial_level_units():
    names = [name for _, name in provinces()]

    assert len(provinces()) == 34
    assert names[:3] == ["北京市", "天津市", "河北省"]
    assert {"香港特别行政区", "澳门特别行政区", "台湾省", "新疆维吾尔自治区"} <= set(
        names
    )
    assert [code for code, _ in provinces()] == sorted(code for code, _ in provinces())


@pytest.mark.parametrize(
    ("province", "count"),
    [
        ("440000", 21),
        ("510000", 21),
        ("110000", 16),
        ("310000", 16),
        ("420000", 17),
        ("460000", 19),
        ("810000", 0),
        ("820000", 0),
        ("710000", 0),
    ],
    ids=[
        "guangdong",
        "sichuan",
        "beijing-districts",
        "shanghai-districts",
        "hubei",
        "hainan",
        "hong-kong",
        "macao",
        "taiwan",
    ],
)
def test_cities_counts(province, count):
    assert len(cities(province)) == count


def test_cities_include_county_level_units_under_the_province():
    hubei = {unit.name: unit.level for unit in divisions_under("420000")}
    hainan = {unit.name: unit.level for unit in divisions_under("460000")}

    assert hubei["仙桃市"] == "county"
    assert hubei["神农架林区"] == "county"
    assert hubei["武汉市"] == "prefecture"
    assert hainan["五指山市"] == "county"
    assert hainan["三沙市"] == "prefecture"
    assert ("429004", "仙桃市") in cities("420000")
    assert ("419001", "济源市") in cities("410000")


def test_cities_of_xinjiang_include_its_autonomous_prefectures_and_direct_cities():
    names = [name for _, name in cities("650000")]

    assert "伊犁哈萨克自治州" in names
    assert "石河子市" in names
    assert "乌鲁木齐市" in names


def test_cities_of_beijing_are_its_districts():
    names = [name for _, name in cities("110000")]

    assert names[0] == "东城区"
    assert "海淀区" in names
    assert all(name.endswith("区") for name in names)


def test_cities_of_an_unknown_province_are_empty():
    assert cities("990000") == ()
    assert cities(None) == ()


def test_division_codes_are_unique_and_under_their_province():
    codes = [code for code, _ in provinces()]
    for province, _ in provinces():
        for code, name in cities(province):
            codes.append(code)
            assert code[:2] == province[:2], name

    assert len(codes) == len(set(codes))
    assert all(len(code) == 6 and code.isdigit() for code in codes)


def test_division_names_are_unique_within_a_province():
    for province, name in provinces():
        names = [city for _, city in cities(province)]
        assert len(names) == len(set(names)), name


@pytest.mark.parametrize(
    ("province", "city", "valid"),
    [
        ("440000", "440300", True),
        ("420000", "429004", True),
        ("110000", "110108", True),
        ("810000", None, True),
        ("810000", "", True),
        ("710000", None, True),
        ("440000", None, False),
        ("440000", "420100", False),
        ("810000", "810001", False),
        ("990000", None, False),
        (None, None, False),
    ],
    ids=[
        "shenzhen",
        "xiantao",
        "haidian",
        "hong-kong-alone",
        "hong-kong-empty",
        "taiwan-alone",
        "guangdong-needs-a-city",
        "city-of-another-province",
        "hong-kong-unit",
        "unknown-province",
        "nothing",
    ],
)
def test_is_division(province, city, valid):
    assert is_division(province, city) is valid


def test_division_name_of_provinces_and_cities():
    assert division_name("420000") == "湖北省"
    assert division_name("429004") == "仙桃市"
    assert division_name("710000") == "台湾省"
    assert division_name("999999") is None
    assert division_name(None) is None


@pytest.mark.parametrize(
    ("region", "province"),
    [
        ("110105", "110000"),
        ("440304", "440000"),
        ("500000", "500000"),
        ("810000", "810000"),
        ("820000", "820000"),
        ("830000", "710000"),
        ("710000", "710000"),
        ("990000", None),
        ("000000", None),
        ("11010", None),
        ("11010A", None),
        (None, None),
    ],
    ids=[
        "beijing",
        "shenzhen",
        "chongqing",
        "hong-kong-permit",
        "macao-permit",
        "taiwan-permit",
        "taiwan",
        "99",
        "00",
        "five-digits",
        "letter",
        "none",
    ],
)
def test_province_of_id_region(region, province):
    assert province_of_id_region(region) == province
