"""Random sequences of channel operations keep the quota invariants of SPEC §2.

A model of the society's tree (quota, used codes, enabled flag per channel) predicts
whether each operation is allowed; the database must agree, keep every invariant after
every step, and stay exactly as it was after a refusal. SQLite only: hypothesis runs
many examples and the arithmetic does not depend on the database (the races in
test_quota_race.py cover both).
"""

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from app.errors import DomainError
from app.extensions import db
from app.models import Channel, CodeState, ReferralCode
from app.services import channels
from app.services.organisations import create_society
from tests.services.quota_support import claim, numbers_in, snapshot

QUOTA_MAX = 100_000
CASE_VARIANTS = ["ACME", "acme", "Acme ", "ＡＣＭＥ", "ａｃｍｅ", "Ärzte", "ärzte"]
BAD_NAMES = ["", "   ", "企" * 51]
BAD_QUOTAS = ["abc", "1.5", "１０", "", None, -1, "-2", QUOTA_MAX + 1]

FRESH = "<a new name>"  # replaced by a name not used before in the society
fresh = st.just(FRESH)
any_name = st.one_of(fresh, fresh, fresh, st.sampled_from(CASE_VARIANTS), st.sampled_from(BAD_NAMES))
small_quotas = st.one_of(st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=12).map(str))
any_quota = st.one_of(small_quotas, small_quotas, small_quotas, st.sampled_from(BAD_QUOTAS))
_societies = itertools.count(1)


def _valid_quota(value):
    """The quota the rules accept for ``value``, or None when it must be refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 <= number <= QUOTA_MAX else None


def _valid_name(value):
    name = (value or "").strip()
    return name if 0 < len(name) <= 50 else None


class QuotaMachine(RuleBasedStateMachine):
    """One society; its enterprises and codes under random operations."""

    def __init__(self):
        super().__init__()
        society = create_society(f"性质测试学会{next(_societies)}", "national")
        self.society_id = society.id
        self.root_id = channels.get_society_root(society).id
        # channel id -> {"parent", "level", "name", "quota", "used", "enabled"}
        self.model: dict[int, dict] = {}
        self.owners: dict[str, int] = {}  # every code string seen and its channel
        self.finished: dict[str, str] = {}  # used or revoked codes: their state never changes again
        self.fresh_names = itertools.count(1)
        self.refusal: DomainError | None = None

    # --- the model ---------------------------------------------------------

    def _delegated(self, channel_id):
        return sum(c["quota"] for c in self.model.values() if c["parent"] == channel_id)

    def _available(self, channel_id):
        c = self.model[channel_id]
        return c["quota"] - self._delegated(channel_id) - c["used"]

    def _name_taken(self, parent_id, name):
        return any(c["parent"] == parent_id and c["name"].casefold() == name.casefold() for c in self.model.values())

    def _chain_enabled(self, channel_id):
        while channel_id in self.model:
            if not self.model[channel_id]["enabled"]:
                return False
            channel_id = self.model[channel_id]["parent"]
        return True

    def _level1_ids(self):
        return sorted(cid for cid, c in self.model.items() if c["level"] == 1)

    def _attempt(self, allowed: bool, operation):
        """Run the operation; a refusal must be a DomainError that wrote nothing."""
        before = None if allowed else snapshot(self.society_id)
        try:
            result = operation()
        except DomainError as error:
            self.refusal = error
            assert not allowed, "refused an allowed operation"
            assert snapshot(self.society_id) == before, "a refused operation changed the database"
            return None
        assert allowed, "accepted an operation the rules forbid"
        return result

    def _create(self, parent_id, level, name, quota, allowed):
        parent = db.session.get(Channel, parent_id)
        channel = self._attempt(allowed, lambda: channels.create_enterprise(parent, name, quota, actor=None))
        if channel is not None:
            self.model[channel.id] = {
                "parent": parent_id, "level": level, "name": _valid_name(name), "quota": _valid_quota(quota), "used": 0, "enabled": True,
            }
        return channel

    # --- the operations ----------------------------------------------------

    @initialize(quota=st.integers(min_value=0, max_value=12), share=st.integers(min_value=0, max_value=12))
    def start_with_two_levels(self, quota, share):
        level1 = self._create(self.root_id, 1, "起始一级企业", quota, True)
        self._create(level1.id, 2, "起始二级企业", min(quota, share), True)

    @rule(data=st.data(), level2=st.booleans(), name=any_name, quota=any_quota)
    def create(self, data, level2, name, quota):
        if name == FRESH:
            name = "企业" + "".join("ABCDEFGHJK"[int(digit)] for digit in str(next(self.fresh_names)))  # no digits in messages
        parent_id = data.draw(st.sampled_from(self._level1_ids()), label="parent") if level2 and self._level1_ids() else self.root_id
        number, clean = _valid_quota(quota), _valid_name(name)
        allowed = number is not None and clean is not None and not self._name_taken(parent_id, clean)
        if parent_id != self.root_id:  # a level-2 quota comes out of the parent's available codes
            allowed = allowed and number <= self._available(parent_id)

        self._create(parent_id, 2 if parent_id != self.root_id else 1, name, quota, allowed)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), bad=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(BAD_QUOTAS)), as_text=st.booleans())
    def change_quota(self, data, bad, as_text):
        channel_id = data.draw(st.sampled_from(sorted(self.model)), label="channel")
        c = self.model[channel_id]
        smallest = c["used"] + self._delegated(channel_id)
        if c["level"] == 2:  # a level-2 quota can rise by what its parent has available
            largest = c["quota"] + self._available(c["parent"])
            top = largest + 2
        else:
            largest, top = QUOTA_MAX, c["quota"] + 6
        if bad is None:  # around the allowed range, its edges included
            number = data.draw(st.integers(min_value=max(0, smallest - 2), max_value=top), label="quota")
            quota = str(number) if as_text else number
        else:
            number, quota = None, bad
        allowed = number is not None and smallest <= number <= largest
        channel = db.session.get(Channel, channel_id)

        result = self._attempt(allowed, lambda: channels.update_enterprise(channel, c["name"], quota, actor=None))

        if result is not None:
            c["quota"] = number
        elif number is not None and number < smallest:  # the message names the minimum and why
            assert numbers_in(self.refusal.message) == sorted([smallest, c["used"], self._delegated(channel_id)])
        elif number is not None and number > largest:  # the message names the maximum
            assert numbers_in(self.refusal.message) == sorted([largest, self._available(c["parent"])])

    @precondition(lambda self: self.model)
    @rule(data=st.data(), enabled=st.booleans())
    def set_enabled(self, data, enabled):
        channel_id = data.draw(st.sampled_from(sorted(self.model)), label="channel")
        channel = db.session.get(Channel, channel_id)

        self._attempt(True, lambda: channels.set_enabled(channel, enabled, actor=None))

        self.model[channel_id]["enabled"] = enabled

    @precondition(lambda self: self.model)
    @rule(data=st.data(), any_state=st.booleans(), lower_case=st.booleans())
    def claim(self, data, any_state, lower_case):
        channel_id = data.draw(st.sampled_from(sorted(self.model)), label="channel")
        query = select(ReferralCode.code, ReferralCode.state).where(ReferralCode.channel_id == channel_id)
        if not any_state:
            query = query.where(ReferralCode.state == CodeState.AVAILABLE.value)
        choices = [tuple(row) for row in db.session.execute(query.order_by(ReferralCode.id))] + [("ZZZZZZZZZZZZ", None)]
        db.session.commit()
        code, state = data.draw(st.sampled_from(choices), label="code")
        allowed = state == CodeState.AVAILABLE.value and self._chain_enabled(channel_id)

        claimed = self._attempt(allowed, lambda: claim(code.lower() if lower_case else code))

        if claimed is not None:
            assert (claimed.code, claimed.channel_id) == (code, channel_id)
            self.model[channel_id]["used"] += 1

    # --- after every step --------------------------------------------------

    @invariant()
    def quotas_hold(self):
        db.session.commit()
        for channel_id, c in self.model.items():
            channel = db.session.get(Channel, channel_id)
            assert channels.check_invariants(channel) == []
            figures = channels.figures(channel)
            assert (channel.quota, channel.enabled, figures.used) == (c["quota"], c["enabled"], c["used"])
            assert figures.delegated == self._delegated(channel_id)
            assert figures.available == self._available(channel_id)
        live = db.session.scalar(
            select(func.count())
            .select_from(ReferralCode)
            .join(Channel, Channel.id == ReferralCode.channel_id)
            .where(Channel.society_id == self.society_id, ReferralCode.state != CodeState.REVOKED.value)
        )
        assert live == sum(c["quota"] - self._delegated(cid) for cid, c in self.model.items())

    @invariant()
    def codes_never_move_or_come_back(self):
        rows = db.session.execute(
            select(ReferralCode.code, ReferralCode.channel_id, ReferralCode.state)
            .join(Channel, Channel.id == ReferralCode.channel_id)
            .where(Channel.society_id == self.society_id)
        ).all()
        db.session.commit()
        for code, channel_id, state in rows:
            assert self.owners.setdefault(code, channel_id) == channel_id, f"code {code} moved"
            if code in self.finished:
                assert state == self.finished[code], f"code {code} left state {self.finished[code]}"
            elif state != CodeState.AVAILABLE.value:
                self.finished[code] = state
        assert len(rows) == len({row.code for row in rows})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_quota_invariants_hold_under_random_operations(app):
    run_state_machine_as_test(
        QuotaMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )

    assert db.session.scalar(select(func.count()).select_from(Channel).where(Channel.level > 0)) > 0
