"""The quota rules of SPEC §2, one by one, with their exact figures."""

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.errors import ChannelError, CodeError, QuotaError
from app.extensions import db
from app.models import Channel, CodeState, Identity, IdentityKind, ReferralCode
from app.services import channels, codes
from app.services.channels import Figures
from tests.services.quota_support import (
    audit_entries,
    available_codes,
    claim,
    code_strings,
    numbers_in,
    owner_of_codes,
    snapshot,
    text_of,
)

BMP_OUTSIDE = "𠀋"  # U+2000B, one character, two UTF-16 units, four UTF-8 bytes


@pytest.fixture
def root(world):
    return world.root(world.society())


def _share(code_string: str) -> None:
    code = db.session.scalar(select(ReferralCode).where(ReferralCode.code == code_string))
    codes.share_code(code, "13900001111", actor=None)


def _reload(channel: Channel) -> Channel:
    db.session.commit()
    return db.session.get(Channel, channel.id)


# --- creating channels -------------------------------------------------------


@pytest.mark.parametrize("quota", [0, 1, 25], ids=["zero", "one", "twenty-five"])
def test_create_level1_with_n_codes_creates_n_available_codes(world, root, quota):
    level1 = world.enterprise(root, "甲企业", quota)

    level1 = _reload(level1)
    assert (level1.level, level1.parent_id, level1.quota, level1.enabled) == (1, root.id, quota, True)
    assert codes.count_codes(level1.id) == {"available": quota, "used": 0, "revoked": 0}
    assert channels.figures(level1) == Figures(quota=quota, delegated=0, used=0, available=quota, shared=0)
    assert channels.check_invariants(level1) == []


def test_create_level2_takes_its_quota_from_parent_available_codes(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    parent_codes_before = set(available_codes(level1.id))

    level2 = world.enterprise(level1, "乙企业", 4)

    level1, level2 = _reload(level1), _reload(level2)
    assert level1.quota == 10
    assert channels.figures(level1) == Figures(quota=10, delegated=4, used=0, available=6)
    assert channels.figures(level2) == Figures(quota=4, delegated=0, used=0, available=4)
    assert codes.count_codes(level1.id) == {"available": 6, "used": 0, "revoked": 4}
    assert code_strings(level1.id) == parent_codes_before
    assert code_strings(level2.id, CodeState.AVAILABLE).isdisjoint(parent_codes_before)
    assert channels.check_invariants(level1) == [] and channels.check_invariants(level2) == []


def test_create_level2_uses_all_parent_available_when_some_parent_codes_are_used(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    for code in available_codes(level1.id)[:3]:
        claim(code)

    level2 = world.enterprise(level1, "乙企业", 7)

    assert channels.figures(_reload(level1)) == Figures(quota=10, delegated=7, used=3, available=0)
    assert channels.figures(_reload(level2)) == Figures(quota=7, delegated=0, used=0, available=7)


@pytest.mark.parametrize(
    ("used", "existing_child", "requested", "allowed"),
    [(0, 0, 11, 10), (3, 0, 8, 7), (0, 4, 7, 6), (2, 5, 4, 3)],
    ids=["fresh-parent", "parent-used-3", "sibling-holds-4", "used-2-sibling-5"],
)
def test_create_level2_above_parent_available_is_refused_with_maximum(world, root, used, existing_child, requested, allowed):
    level1 = world.enterprise(root, "甲企业", 10)
    for code in available_codes(level1.id)[:used]:
        claim(code)
    if existing_child:
        world.enterprise(level1, "丙企业", existing_child)
    before = snapshot()

    with pytest.raises(QuotaError) as refused:
        world.enterprise(level1, "乙企业", requested)

    assert refused.value.field == "quota"
    assert set(numbers_in(refused.value.message)) == {allowed}
    assert text_of(refused.value.message) == f"最多可分配{allowed}个推荐码：甲企业尚有{allowed}个可用推荐码。"
    assert snapshot() == before


def test_create_level2_exactly_parent_available_is_accepted(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    world.enterprise(level1, "丙企业", 4)

    level2 = world.enterprise(level1, "乙企业", 6)

    assert _reload(level2).quota == 6
    assert channels.figures(_reload(level1)) == Figures(quota=10, delegated=10, used=0, available=0)


def test_create_under_level2_is_refused(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 5)
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        world.enterprise(level2, "丁企业", 1)

    assert text_of(refused.value.message) == text_of(_l("A level-2 enterprise cannot have enterprises under it."))
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).where(Channel.level > 2)) == 0


# --- changing a quota --------------------------------------------------------


def _level1_with_used_and_delegated(world, root, quota, used, delegated):
    level1 = world.enterprise(root, "甲企业", quota)
    for code in available_codes(level1.id)[:used]:
        claim(code)
    if delegated:
        world.enterprise(level1, "乙企业", delegated)
    return level1


@pytest.mark.parametrize(
    ("used", "delegated", "requested", "minimum"),
    [(3, 4, 6, 7), (0, 5, 4, 5), (2, 0, 1, 2), (3, 4, 0, 7)],
    ids=["used-3-delegated-4", "delegated-only", "used-only", "to-zero"],
)
def test_lower_quota_below_used_plus_delegated_is_refused_naming_minimum(world, root, used, delegated, requested, minimum):
    level1 = _level1_with_used_and_delegated(world, root, 20, used, delegated)
    before = snapshot()

    with pytest.raises(QuotaError) as refused:
        channels.update_enterprise(level1, "甲企业", requested, actor=None)

    assert refused.value.field == "quota"
    assert numbers_in(refused.value.message) == sorted([minimum, used, delegated])
    assert text_of(refused.value.message) == f"推荐码数量不能少于{minimum}个：已使用{used}个，已分配给下级企业{delegated}个。"
    assert snapshot() == before


def test_lower_quota_to_exactly_used_plus_delegated_is_accepted(world, root):
    level1 = _level1_with_used_and_delegated(world, root, 20, 3, 4)

    channels.update_enterprise(level1, "甲企业", 7, actor=None)

    assert channels.figures(_reload(level1)) == Figures(quota=7, delegated=4, used=3, available=0)
    assert codes.count_codes(level1.id) == {"available": 0, "used": 3, "revoked": 17}


def test_lower_level2_quota_below_its_used_is_refused(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 5)
    for code in available_codes(level2.id)[:2]:
        claim(code)
    before = snapshot()

    with pytest.raises(QuotaError) as refused:
        channels.update_enterprise(level2, "乙企业", 1, actor=None)

    assert numbers_in(refused.value.message) == [0, 2, 2]
    assert text_of(refused.value.message) == "推荐码数量不能少于2个：已使用2个，已分配给下级企业0个。"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("requested", "maximum"),
    [(11, 10), (100, 10)],
    ids=["one-over", "far-over"],
)
def test_raise_level2_quota_above_parent_available_is_refused_naming_maximum(world, root, requested, maximum):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 3)
    before = snapshot()

    with pytest.raises(QuotaError) as refused:
        channels.update_enterprise(level2, "乙企业", requested, actor=None)

    assert refused.value.field == "quota"
    assert numbers_in(refused.value.message) == [7, maximum]  # the largest allowed and the parent's 7 available
    assert text_of(refused.value.message) == f"推荐码数量不能多于{maximum}个：甲企业尚有7个可用推荐码。"
    assert snapshot() == before


def test_raise_level2_quota_to_parent_available_is_accepted(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 3)

    channels.update_enterprise(level2, "乙企业", 10, actor=None)

    assert channels.figures(_reload(level1)) == Figures(quota=10, delegated=10, used=0, available=0)
    assert channels.figures(_reload(level2)) == Figures(quota=10, delegated=0, used=0, available=10)
    assert channels.quota_range(_reload(level2)) == (0, 10)


def test_quota_range_of_level2_is_used_to_own_plus_parent_available(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 4)
    claim(available_codes(level2.id)[0])

    smallest, largest = channels.quota_range(_reload(level2))

    assert (smallest, largest) == (1, 10)


def test_raise_level1_quota_creates_new_codes_and_moves_none(world, root):
    level1 = world.enterprise(root, "甲企业", 5)
    owners_before = owner_of_codes()

    channels.update_enterprise(level1, "甲企业", 8, actor=None)

    owners_after = owner_of_codes()
    assert {code: owners_after[code] for code in owners_before} == owners_before
    new = set(owners_after) - set(owners_before)
    assert len(new) == 3 and {owners_after[code] for code in new} == {level1.id}
    assert codes.count_codes(level1.id) == {"available": 8, "used": 0, "revoked": 0}


def test_lower_level1_quota_revokes_codes_and_moves_none(world, root):
    level1 = world.enterprise(root, "甲企业", 8)
    owners_before = owner_of_codes()
    available_before = set(available_codes(level1.id))

    channels.update_enterprise(level1, "甲企业", 5, actor=None)

    assert owner_of_codes() == owners_before
    assert set(available_codes(level1.id)) < available_before
    assert len(code_strings(level1.id, CodeState.REVOKED)) == 3
    assert codes.count_codes(level1.id) == {"available": 5, "used": 0, "revoked": 3}


def test_raise_level2_quota_revokes_parent_codes_and_creates_new_child_codes(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 3)
    owners_before = owner_of_codes()
    parent_available_before = set(available_codes(level1.id))

    channels.update_enterprise(level2, "乙企业", 5, actor=None)

    owners_after = owner_of_codes()
    assert {code: owners_after[code] for code in owners_before} == owners_before
    new = set(owners_after) - set(owners_before)
    assert len(new) == 2 and {owners_after[code] for code in new} == {level2.id}
    revoked_from_parent = parent_available_before - set(available_codes(level1.id))
    assert len(revoked_from_parent) == 2 and revoked_from_parent <= code_strings(level1.id, CodeState.REVOKED)
    assert channels.figures(_reload(level1)) == Figures(quota=10, delegated=5, used=0, available=5)


def test_lower_level2_quota_revokes_child_codes_and_gives_parent_new_codes(world, root):
    level1 = world.enterprise(root, "甲企业", 10)
    level2 = world.enterprise(level1, "乙企业", 5)
    owners_before = owner_of_codes()
    child_available_before = set(available_codes(level2.id))

    channels.update_enterprise(level2, "乙企业", 2, actor=None)

    owners_after = owner_of_codes()
    assert {code: owners_after[code] for code in owners_before} == owners_before
    new = set(owners_after) - set(owners_before)
    assert len(new) == 3 and {owners_after[code] for code in new} == {level1.id}
    assert set(available_codes(level2.id)) < child_available_before
    assert len(code_strings(level2.id, CodeState.REVOKED)) == 3
    assert channels.figures(_reload(level1)) == Figures(quota=10, delegated=2, used=0, available=8)
    assert channels.figures(_reload(level2)) == Figures(quota=2, delegated=0, used=0, available=2)


def test_same_quota_changes_no_codes_and_writes_no_audit(world, root):
    level1 = world.enterprise(root, "甲企业", 5)
    before = snapshot()

    channels.update_enterprise(level1, "甲企业", 5, actor=None)

    assert snapshot() == before


# --- which codes are revoked first -------------------------------------------


@pytest.mark.parametrize(
    ("lower_by", "revoked"),
    [
        (1, {"new-1"}),
        (2, {"new-1", "new-3"}),
        (3, {"new-1", "new-3", "old-1"}),
        (4, {"new-1", "new-3", "old-1", "old-3"}),
        (5, {"new-1", "new-3", "old-1", "old-3", "new-2"}),
        (6, {"new-1", "new-3", "old-1", "old-3", "new-2", "old-2"}),
    ],
    ids=["1", "2", "3", "4", "5", "6"],
)
def test_lowering_revokes_never_shared_newest_first_and_shared_last(world, root, lower_by, revoked):
    level1 = world.enterprise(root, "甲企业", 3)
    old = available_codes(level1.id)
    channels.update_enterprise(level1, "甲企业", 6, actor=None)
    new = [code for code in available_codes(level1.id) if code not in old]
    _share(old[1])
    _share(new[1])
    # "new-1" is the newest code of the later batch (highest id), "old-3" the oldest of all.
    names_by_rank = {"new-1": new[2], "new-2": new[1], "new-3": new[0], "old-1": old[2], "old-2": old[1], "old-3": old[0]}

    channels.update_enterprise(level1, "甲企业", 6 - lower_by, actor=None)

    assert code_strings(level1.id, CodeState.REVOKED) == {names_by_rank[name] for name in revoked}


def test_creating_level2_takes_never_shared_parent_codes_first(world, root):
    level1 = world.enterprise(root, "甲企业", 4)
    first, second, third, fourth = available_codes(level1.id)
    for code in (first, third, fourth):
        _share(code)

    world.enterprise(level1, "乙企业", 2)

    assert code_strings(level1.id, CodeState.REVOKED) == {second, fourth}
    assert code_strings(level1.id, CodeState.AVAILABLE) == {first, third}


# --- the quota value (check_quota_value touches no database: SQLite run only) ---

WHOLE = "Enter the number of codes as a whole number."
NEGATIVE = "The number of codes cannot be negative."


@pytest.mark.parametrize(
    ("value", "msgid", "arguments"),
    [
        ("abc", WHOLE, {}),
        ("1.5", WHOLE, {}),
        (1.5, WHOLE, {}),
        ("１０", WHOLE, {}),
        ("", WHOLE, {}),
        ("   ", WHOLE, {}),
        (None, WHOLE, {}),
        ("1e3", WHOLE, {}),
        ("+5", WHOLE, {}),
        (True, WHOLE, {}),
        ("-1", NEGATIVE, {}),
        (-1, NEGATIVE, {}),
        ("100001", "The number of codes can be at most %(maximum)d.", {"maximum": 100000}),
        (100001, "The number of codes can be at most %(maximum)d.", {"maximum": 100000}),
    ],
    ids=[
        "letters", "decimal-text", "float", "full-width", "empty", "blank", "none", "exponent",
        "plus-sign", "bool", "negative-text", "negative", "above-max-text", "above-max",
    ],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database involved
def test_check_quota_value_not_a_whole_number_in_range_is_refused(app, value, msgid, arguments):
    with pytest.raises(QuotaError) as refused:
        channels.check_quota_value(value)

    assert refused.value.field == "quota"
    assert text_of(refused.value.message) == text_of(_l(msgid, **arguments))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), (" 7 ", 7), ("100000", 100000), (100000, 100000), (0, 0), ("007", 7)],
    ids=["zero-text", "padded", "max-text", "max", "zero", "leading-zeros"],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database involved
def test_check_quota_value_whole_number_in_range_is_accepted(app, value, expected):
    result = channels.check_quota_value(value)

    assert result == expected and type(result) is int


@pytest.mark.parametrize("value", ["abc", "1.5", "１０", "", None, "-3", "100001"], ids=["letters", "decimal", "full-width", "empty", "none", "negative", "above-max"])
def test_create_with_bad_quota_is_refused_and_writes_nothing(world, root, value):
    before = snapshot()

    with pytest.raises(QuotaError) as refused:
        world.enterprise(root, "甲企业", value)

    assert refused.value.field == "quota"
    assert snapshot() == before


@pytest.mark.parametrize("value", ["abc", "1.5", "１０", "", None, "-3", "100001"], ids=["letters", "decimal", "full-width", "empty", "none", "negative", "above-max"])
def test_update_with_bad_quota_is_refused_and_writes_nothing(world, root, value):
    level1 = world.enterprise(root, "甲企业", 5)
    before = snapshot()

    with pytest.raises(QuotaError) as refused:
        channels.update_enterprise(level1, "甲企业", value, actor=None)

    assert refused.value.field == "quota"
    assert snapshot() == before


# --- names -------------------------------------------------------------------

DUPLICATE = "An enterprise with this name already exists here."


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("中国交通建设", "中国交通建设"),
        ("ACME Engineering", "acme engineering"),
        ("acme", "ACME"),
        ("甲企业", "  甲企业  "),
        ("Ärzte Bau GmbH", "ärzte bau gmbh"),
        ("ＡＣＭＥ工程", "ａｃｍｅ工程"),
    ],
    ids=["same", "lower-case", "upper-case", "padded", "latin-1-letters", "full-width-letters"],
)
def test_create_duplicate_name_under_same_parent_is_refused(world, root, first, second):
    world.enterprise(root, first, 1)
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        world.enterprise(root, second, 1)

    assert refused.value.field == "name"
    assert text_of(refused.value.message) == text_of(_l(DUPLICATE))
    assert snapshot() == before


def test_create_duplicate_level2_name_under_same_parent_is_refused(world, root):
    level1 = world.enterprise(root, "甲企业", 5)
    world.enterprise(level1, "Acme", 1)
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        world.enterprise(level1, "ACME", 1)

    assert refused.value.field == "name"
    assert snapshot() == before


def test_create_same_name_under_another_parent_is_allowed(world, root):
    first = world.enterprise(root, "甲企业", 5)
    second = world.enterprise(root, "丙企业", 5)
    world.enterprise(first, "Acme", 1)
    other_society_root = world.root(world.society("中国机械工程学会"))

    under_second = world.enterprise(second, "ACME", 1)
    under_other_society = world.enterprise(other_society_root, "甲企业", 1)

    assert (_reload(under_second).name, _reload(under_second).parent_id) == ("ACME", second.id)
    assert (_reload(under_other_society).name, _reload(under_other_society).parent_id) == ("甲企业", other_society_root.id)


def test_rename_to_sibling_name_is_refused_and_own_name_allowed(world, root):
    world.enterprise(root, "甲企业", 1)
    other = world.enterprise(root, "乙企业", 1)
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        channels.update_enterprise(other, "甲企业", 1, actor=None)
    channels.update_enterprise(other, "乙企业", 1, actor=None)

    assert refused.value.field == "name"
    assert snapshot() == before


@pytest.mark.parametrize("name", ["", "   ", "\t\r\n", "\u3000\u3000", None], ids=["empty", "spaces", "control-whitespace", "ideographic-space", "none"])
def test_create_with_blank_name_is_refused(world, root, name):
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        world.enterprise(root, name, 1)

    assert refused.value.field == "name"
    assert text_of(refused.value.message) == text_of(_l("Enter the enterprise name."))
    assert snapshot() == before


def test_create_with_50_characters_including_one_outside_bmp_is_accepted(world, root):
    name = BMP_OUTSIDE + "企" * 49

    level1 = world.enterprise(root, name, 1)

    assert len(name) == 50
    assert _reload(level1).name == name


@pytest.mark.parametrize("name", [BMP_OUTSIDE + "企" * 50, "企" * 51], ids=["with-outside-bmp", "bmp-only"])
def test_create_with_51_characters_is_refused_naming_limit(world, root, name):
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        world.enterprise(root, name, 1)

    assert refused.value.field == "name"
    assert numbers_in(refused.value.message) == [50, 51]
    assert snapshot() == before


def test_create_name_surrounding_whitespace_is_not_stored(world, root):
    level1 = world.enterprise(root, "  甲企业\u3000", 1)

    assert _reload(level1).name == "甲企业"


def test_create_name_on_two_lines_is_refused(world, root):
    with pytest.raises(ChannelError) as refused:
        world.enterprise(root, "甲企业\r\n分公司", 1)

    assert refused.value.field == "name"
    assert text_of(refused.value.message) == text_of(_l("The enterprise name must be on one line."))


# --- disable / enable and claims ----------------------------------------------

DISABLED = "该推荐码所属渠道已禁用，暂时无法使用。"


def test_disabled_level1_makes_its_and_its_level2_codes_refused(world, root):
    level1 = world.enterprise(root, "甲企业", 5)
    level2 = world.enterprise(level1, "乙企业", 2)
    child_code, parent_code = available_codes(level2.id)[0], available_codes(level1.id)[0]

    channels.set_enabled(level1, False, actor=None)
    before = snapshot()

    refusals = []
    for code in (child_code, parent_code):
        with pytest.raises(CodeError) as refused:
            claim(code)
        refusals.append(refused.value)

    assert [text_of(error.message) for error in refusals] == [DISABLED] * 2
    assert {error.field for error in refusals} == {"referral_code"}
    assert snapshot() == before
    assert codes.count_codes(level2.id) == {"available": 2, "used": 0, "revoked": 0}


def test_enable_level1_restores_its_level2_codes(world, root):
    level1 = world.enterprise(root, "甲企业", 5)
    level2 = world.enterprise(level1, "乙企业", 2)
    child_code = available_codes(level2.id)[0]
    channels.set_enabled(level1, False, actor=None)

    channels.set_enabled(level1, True, actor=None)
    claimed = claim(child_code)

    assert (claimed.code, claimed.channel_id, claimed.state) == (child_code, level2.id, CodeState.USED.value)
    assert codes.count_codes(level2.id) == {"available": 1, "used": 1, "revoked": 0}


def test_disabled_level2_refuses_its_codes_only(world, root):
    level1 = world.enterprise(root, "甲企业", 5)
    level2 = world.enterprise(level1, "乙企业", 2)
    child_code, parent_code = available_codes(level2.id)[0], available_codes(level1.id)[0]

    channels.set_enabled(level2, False, actor=None)
    with pytest.raises(CodeError) as refused:
        claim(child_code)
    claimed = claim(parent_code)

    assert text_of(refused.value.message) == DISABLED
    assert claimed.channel_id == level1.id
    assert _reload(level2).enabled is False and _reload(level1).enabled is True


def test_update_society_root_is_refused(world, root):
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        channels.update_enterprise(root, "中国土木工程学会", 5, actor=None)

    assert text_of(refused.value.message) == text_of(_l("A society's own channel has no quota."))
    assert snapshot() == before


def test_disable_society_root_is_refused(world, root):
    before = snapshot()

    with pytest.raises(ChannelError) as refused:
        channels.set_enabled(root, False, actor=None)

    assert text_of(refused.value.message) == text_of(_l("A society's own channel cannot be disabled here."))
    assert snapshot() == before


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "推荐码不存在，请向所在企业核实。"),
        ("empty", "推荐码不存在，请向所在企业核实。"),
        ("used", "该推荐码已被使用。"),
        ("revoked", "该推荐码已被企业收回。"),
    ],
    ids=["unknown", "empty", "used", "revoked"],
)
def test_claim_code_that_cannot_be_used_gives_its_own_message(world, root, case, message):
    level1 = world.enterprise(root, "甲企业", 3)
    first = available_codes(level1.id)[0]
    if case == "used":
        claim(first)
    if case == "revoked":
        channels.update_enterprise(level1, "甲企业", 0, actor=None)
    value = {"unknown": "ZZZZZZZZZZZZ", "empty": "", "used": first, "revoked": first}[case]
    before = snapshot()

    with pytest.raises(CodeError) as refused:
        claim(value)

    assert refused.value.field == "referral_code"
    assert text_of(refused.value.message) == message
    assert snapshot() == before


def test_claim_code_marks_exactly_that_code_used(world, root):
    level1 = world.enterprise(root, "甲企业", 3)
    first, *others = available_codes(level1.id)

    claimed = claim(first)

    assert (claimed.code, claimed.state) == (first, CodeState.USED.value)
    assert claimed.used_at is not None
    assert code_strings(level1.id, CodeState.USED) == {first}
    assert code_strings(level1.id, CodeState.AVAILABLE) == set(others)


# --- the codes themselves ----------------------------------------------------


def test_codes_are_long_unambiguous_and_unique(world, root):
    level1 = world.enterprise(root, "甲企业", 300)

    strings = code_strings(level1.id)
    assert len(strings) == 300
    assert min(len(code) for code in strings) >= 10
    used_symbols = set("".join(strings))
    assert used_symbols <= set(codes.CODE_ALPHABET)
    assert used_symbols.isdisjoint(set("0O1IL"))
    assert set(codes.CODE_ALPHABET).isdisjoint(set("0O1IL"))
    assert len(used_symbols) >= 25  # 3,600 symbols drawn: a fair generator uses nearly all 31


@pytest.mark.parametrize("transform", [str.lower, str.swapcase, lambda code: f" {code[:4]}-{code[4:].lower()} "], ids=["lower", "mixed", "spaced-hyphen"])
def test_claim_code_lookup_is_case_insensitive(world, root, transform):
    level1 = world.enterprise(root, "甲企业", 2)
    code = available_codes(level1.id)[0]

    claimed = claim(transform(code))

    assert (claimed.code, claimed.state) == (code, CodeState.USED.value)


def test_new_code_string_uses_the_operating_system_csprng(monkeypatch):
    calls = []

    def choice(sequence):
        calls.append(sequence)
        return sequence[0]

    monkeypatch.setattr(codes.secrets, "choice", choice)

    value = codes.new_code_string()

    assert value == codes.CODE_ALPHABET[0] * len(value) and len(value) >= 10
    assert calls == [codes.CODE_ALPHABET] * len(value)


# --- audit -------------------------------------------------------------------


@pytest.fixture
def actor(world, root):
    society = db.session.get(Channel, root.id).society
    account_id, identity_id = world.account("王学会", "13800000001", IdentityKind.SOCIETY_CONTACT, society=society)
    return db.session.get(Identity, identity_id)


def test_create_writes_audit_entry_with_after(root, actor):
    level1 = channels.create_enterprise(root, "甲企业", 5, actor=actor)

    entries = audit_entries(level1.id)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("channel.create", None, {"name": "甲企业", "quota": 5, "enabled": True})
    ]
    assert (entries[0].actor_id, entries[0].identity_id) == (actor.account_id, actor.id)


def test_level2_create_and_quota_change_write_audit_entries(root, actor):
    level1 = channels.create_enterprise(root, "甲企业", 10, actor=actor)
    level2 = channels.create_enterprise(level1, "乙企业", 3, actor=actor)

    channels.update_enterprise(level2, "乙企业", 6, actor=actor)

    assert [(e.action, e.before, e.after) for e in audit_entries(level2.id)] == [
        ("channel.create", None, {"name": "乙企业", "quota": 3, "enabled": True}),
        ("channel.quota", {"name": "乙企业", "quota": 3, "enabled": True}, {"name": "乙企业", "quota": 6, "enabled": True}),
    ]


@pytest.mark.parametrize(
    ("change", "action", "before", "after"),
    [
        ({"name": "甲企业", "quota": 8}, "channel.quota", {"quota": 5}, {"quota": 8}),
        ({"name": "甲企业", "quota": 2}, "channel.quota", {"quota": 5}, {"quota": 2}),
        ({"name": "甲企业集团", "quota": 5}, "channel.rename", {"name": "甲企业"}, {"name": "甲企业集团"}),
        ({"name": "甲企业集团", "quota": 6}, "channel.quota", {"name": "甲企业", "quota": 5}, {"name": "甲企业集团", "quota": 6}),
    ],
    ids=["raise", "lower", "rename", "rename-and-raise"],
)
def test_update_writes_audit_entry_with_before_and_after(root, actor, change, action, before, after):
    level1 = channels.create_enterprise(root, "甲企业", 5, actor=actor)

    channels.update_enterprise(level1, change["name"], change["quota"], actor=actor)

    entry = audit_entries(level1.id)[-1]
    unchanged = {"name": "甲企业", "quota": 5, "enabled": True}
    assert entry.action == action
    assert entry.before == unchanged | before
    assert entry.after == unchanged | after
    assert (entry.actor_id, entry.identity_id) == (actor.account_id, actor.id)


def test_disable_and_enable_write_audit_entries(root, actor):
    level1 = channels.create_enterprise(root, "甲企业", 5, actor=actor)

    channels.set_enabled(level1, False, actor=actor)
    channels.set_enabled(level1, False, actor=actor)  # no change: no entry
    channels.set_enabled(level1, True, actor=actor)

    assert [(e.action, e.before, e.after) for e in audit_entries(level1.id)] == [
        ("channel.create", None, {"name": "甲企业", "quota": 5, "enabled": True}),
        ("channel.disable", {"name": "甲企业", "quota": 5, "enabled": True}, {"name": "甲企业", "quota": 5, "enabled": False}),
        ("channel.enable", {"name": "甲企业", "quota": 5, "enabled": False}, {"name": "甲企业", "quota": 5, "enabled": True}),
    ]
