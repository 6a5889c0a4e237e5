"""Threads racing on one level-1 enterprise keep the quota invariants (SPEC §2), on the
SQLite file database and on PostgreSQL alike: quota changes, claims, disable/enable.

Each thread works in its own app context, hence its own session and connection, and
all start together at a barrier.
"""

import collections
import itertools
import random
import threading
import time

from sqlalchemy import func, select

from app.db import write_transaction
from app.errors import ChannelError, CodeError, DomainError, QuotaError
from app.extensions import db
from app.models import AuditEntry, Channel, CodeState, ReferralCode
from app.services import channels
from tests.services.quota_support import available_codes, claim, code_strings, text_of

JOIN_TIMEOUT_S = 60


def _run_threads(app, workers):
    """Start every worker at once; return {worker index: [(operation, outcome)]} and the
    exceptions raised, DomainError or not."""
    barrier = threading.Barrier(len(workers))
    results = collections.defaultdict(list)
    errors = []
    lock = threading.Lock()

    def run(index, worker):
        with app.app_context():
            try:
                barrier.wait(timeout=JOIN_TIMEOUT_S)
                for operation in worker:
                    try:
                        outcome = operation()
                    except Exception as error:  # collected: the test asserts which types occurred
                        db.session.rollback()
                        with lock:
                            errors.append(error)
                        outcome = error
                    results[index].append((operation, outcome))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index, worker), daemon=True) for index, worker in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results, errors


class _Operation:
    """A callable with a readable label, so a failing assertion says what ran."""

    def __init__(self, label, function, *args):
        self.label, self.function, self.args = label, function, args

    def __call__(self):
        return self.function(*self.args)

    def __repr__(self):
        return f"{self.label}{self.args}"


def _set_quota(channel_id, quota):
    channel = db.session.get(Channel, channel_id)
    return channels.update_enterprise(channel, channel.name, quota, actor=None).quota


def _set_enabled(channel_id, enabled):
    return channels.set_enabled(db.session.get(Channel, channel_id), enabled, actor=None).enabled


def _claim(code_string):
    return claim(code_string).code


def _society_invariants(society_id):
    """Problems of every enterprise channel, and (live codes, sum of own quotas)."""
    db.session.commit()
    enterprise = list(db.session.scalars(select(Channel).where(Channel.society_id == society_id, Channel.level > 0)))
    problems = [problem for channel in enterprise for problem in channels.check_invariants(channel)]
    live = db.session.scalar(
        select(func.count())
        .select_from(ReferralCode)
        .join(Channel, Channel.id == ReferralCode.channel_id)
        .where(Channel.society_id == society_id, ReferralCode.state != CodeState.REVOKED.value)
    )
    own_total = sum(channels.figures(channel).own for channel in enterprise)
    return problems, live, own_total


def _audit_chain_breaks(channel_id):
    """Consecutive audit entries of a channel must chain: each 'before' is the previous
    'after', and the last 'after' is the channel now. A lost update breaks the chain."""
    db.session.commit()
    entries = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "channels", AuditEntry.target_id == channel_id).order_by(AuditEntry.id)
        )
    )
    channel = db.session.get(Channel, channel_id)
    now = {"name": channel.name, "quota": channel.quota, "enabled": channel.enabled}
    breaks = [(a.id, a.after, b.id, b.before) for a, b in itertools.pairwise(entries) if a.after != b.before]
    if entries[-1].after != now:
        breaks.append((entries[-1].id, entries[-1].after, "now", now))
    return breaks


def test_concurrent_quota_changes_claims_and_toggles_keep_invariants(app, world):
    root = world.root(world.society())
    level1 = world.enterprise(root, "甲企业", 40)
    siblings = [world.enterprise(level1, name, 5) for name in ("乙企业", "丙企业", "丁企业")]
    ids = [level1.id] + [sibling.id for sibling in siblings]
    society_id = db.session.get(Channel, level1.id).society_id
    pool = [code for channel_id in ids for code in available_codes(channel_id)]
    rng = random.Random(20240601)
    workers = []
    for sibling_id in [s.id for s in siblings] * 2:  # 6 threads raise and lower sibling quotas
        workers.append([_Operation("set_quota", _set_quota, sibling_id, rng.randint(0, 14)) for _ in range(5)])
    workers.append([_Operation("set_quota", _set_quota, level1.id, rng.randint(15, 60)) for _ in range(5)])
    for _ in range(10):  # 10 threads claim codes of the parent and the siblings, overlapping
        workers.append([_Operation("claim", _claim, code) for code in rng.sample(pool, 8)])
    for channel_id in (level1.id, siblings[0].id, siblings[1].id):  # 3 threads disable and enable
        workers.append([_Operation("set_enabled", _set_enabled, channel_id, flag) for flag in (False, True) * 3])
    assert len(workers) == 20

    results, errors = _run_threads(app, workers)

    assert {type(error) for error in errors} <= {QuotaError, CodeError}, [e for e in errors if not isinstance(e, DomainError)]
    problems, live, own_total = _society_invariants(society_id)
    assert problems == []
    assert live == own_total == db.session.get(Channel, level1.id).quota
    claimed = [outcome for worker in results.values() for operation, outcome in worker if operation.label == "claim" and isinstance(outcome, str)]
    assert len(claimed) == len(set(claimed)), "a code was claimed twice"
    used = set().union(*(code_strings(channel_id, CodeState.USED) for channel_id in ids))
    assert set(claimed) == used
    assert len(claimed) > 0
    quota_changes = [outcome for worker in results.values() for operation, outcome in worker if operation.label == "set_quota"]
    assert any(isinstance(outcome, int) for outcome in quota_changes), "no quota change succeeded: the race proved nothing"
    for channel_id in ids:
        assert _audit_chain_breaks(channel_id) == []
    assert all(db.session.get(Channel, channel_id).enabled for channel_id in ids)


def test_concurrent_creates_under_one_parent_never_overdraw_it(app, world):
    root = world.root(world.society())
    level1 = world.enterprise(root, "甲企业", 30)
    workers = [[_Operation("create", _create, level1.id, f"二级企业{index}", 4)] for index in range(12)]

    results, errors = _run_threads(app, workers)

    created = [outcome for worker in results.values() for _, outcome in worker if isinstance(outcome, int)]
    assert len(created) == 7  # 7 × 4 = 28 of 30; the other 5 threads were refused
    assert {type(error) for error in errors} == {QuotaError}
    assert len(errors) == 5
    problems, live, own_total = _society_invariants(db.session.get(Channel, level1.id).society_id)
    assert problems == [] and live == own_total == 30
    assert channels.figures(db.session.get(Channel, level1.id)).available == 2


def _create(parent_id, name, quota):
    return channels.create_enterprise(db.session.get(Channel, parent_id), name, quota, actor=None).id


def test_concurrent_claims_of_ten_codes_claim_each_exactly_once(app, world):
    level1 = world.enterprise(world.root(world.society()), "甲企业", 10)
    pool = available_codes(level1.id)
    rng = random.Random(7)
    workers = [[_Operation("claim", _claim, code) for code in rng.sample(pool, len(pool))] for _ in range(32)]

    results, errors = _run_threads(app, workers)

    wins = collections.Counter(outcome for worker in results.values() for _, outcome in worker if isinstance(outcome, str))
    assert wins == {code: 1 for code in pool}
    assert {type(error) for error in errors} == {CodeError}
    assert len(errors) == 32 * 10 - 10
    assert code_strings(level1.id, CodeState.USED) == set(pool)


def test_concurrent_identical_level2_names_create_one(app, world):
    level1 = world.enterprise(world.root(world.society()), "甲企业", 30)
    workers = [[_Operation("create", _create, level1.id, name, 1)] for name in ["乙企业"] * 4 + ["ACME", "acme", "Acme", "ACME"]]

    results, errors = _run_threads(app, workers)

    db.session.commit()
    names = sorted(db.session.scalars(select(Channel.name).where(Channel.parent_id == level1.id)))
    assert len(names) == 2 and names[1] == "乙企业" and names[0].lower() == "acme"
    assert {type(error) for error in errors} == {ChannelError}
    assert len(errors) == 6


def test_claim_waiting_on_a_revocation_says_withdrawn(app, world):
    level1 = world.enterprise(world.root(world.society()), "甲企业", 1)
    level1_id, code = level1.id, available_codes(level1.id)[0]
    revoked_not_committed, claim_started = threading.Event(), threading.Event()
    outcome = {}

    def lower_quota_slowly():
        with app.app_context():
            try:
                with write_transaction():  # update_enterprise joins it; the commit waits below
                    channels.update_enterprise(db.session.get(Channel, level1_id), "甲企业", 0, actor=None)
                    revoked_not_committed.set()
                    claim_started.wait(JOIN_TIMEOUT_S)
                    time.sleep(0.5)  # the claim is now blocked on the row (PostgreSQL) or the write lock (SQLite)
            finally:
                db.session.remove()

    def claim_meanwhile():
        with app.app_context():
            try:
                revoked_not_committed.wait(JOIN_TIMEOUT_S)
                claim_started.set()
                claim(code)
            except CodeError as error:
                outcome["message"] = text_of(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=lower_quota_slowly), threading.Thread(target=claim_meanwhile)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)

    assert outcome == {"message": "该推荐码已被企业收回。"}
    assert code_strings(level1_id, CodeState.REVOKED) == {code}
