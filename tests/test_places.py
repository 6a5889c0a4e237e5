"""Countries and regions: ISO 3166-1 from pycountry, Chinese names as the MFA writes
them, 中国香港 / 中国澳门 / 中国台湾, China first, then by pinyin."""

import pycountry
import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from app.places import country_choices, country_name, is_country


@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    Babel(app, default_locale="zh")
    return app


def test_every_iso_country_once_china_first(babel_app):
    with babel_app.test_request_context():
        choices = country_choices()

    codes = [code for code, _name in choices]
    assert len(codes) == len(set(codes)) == len(pycountry.countries) == 249
    assert choices[0] == ("CN", "中国")
    assert len({name for _code, name in choices}) == 249


def test_regions_of_china_and_corrected_names(babel_app):
    with babel_app.test_request_context():
        names = dict(country_choices())
        assert country_name("HK") == "中国香港"

    assert (names["HK"], names["MO"], names["TW"]) == ("中国香港", "中国澳门", "中国台湾")
    assert (names["KH"], names["GT"], names["MT"], names["KR"], names["KP"]) == (
        "柬埔寨",
        "危地马拉",
        "马耳他",
        "韩国",
        "朝鲜",
    )
    assert names["SA"] == "沙特阿拉伯" and names["SG"] == "新加坡"


def test_chinese_names_in_pinyin_order(babel_app):
    with babel_app.test_request_context():
        names = [name for _code, name in country_choices()]

    # 秘鲁 reads mì lǔ; 瑙鲁, 斐济, 梵蒂冈 (outside GB2312 level 1) are in order too
    order = ["法国", "梵蒂冈", "菲律宾", "斐济", "芬兰"]
    assert [n for n in names if n in order] == order
    assert names.index("蒙古") < names.index("秘鲁") < names.index("缅甸")
    assert names.index("南苏丹") < names.index("瑙鲁") < names.index("尼加拉瓜")


def test_english_names_and_unknown_codes(babel_app):
    with babel_app.test_request_context(), force_locale("en"):
        assert country_name("TW") == "Taiwan, China"
        assert country_name("KE") == "Kenya"
        assert country_choices()[0] == ("CN", "China")
    with babel_app.test_request_context():
        assert country_name("XX") == "XX" and country_name(None) == ""
    assert is_country("KE") and not is_country("XX") and not is_country("")
