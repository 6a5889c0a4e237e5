"""The channel tree and its quota arithmetic (SPEC §2): the one place these rules live.

For an enterprise channel C:
    quota(C)     codes allocated to C, including what it passed down
    delegated(C) the sum of its children's quotas
    own(C)       quota(C) - delegated(C), present as code rows, available or used

Invariants kept by every function here, under concurrent use:
    own(C) == available(C) + used(C) and quota(C) >= used(C) + delegated(C)
    a level-2 child's quota came out of its level-1 parent's available codes
    no code string ever moves between channels
"""

import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app.db import lock_rows, write_transaction
from app.errors import ChannelError, QuotaError
from app.extensions import db
from app.models import Channel, CodeState, Identity, ReferralCode, Society
from app.models.channels import CHANNEL_NAME_MAX
from app.services import codes
from app.services.audit import record_change
from app.validation import normalize_text

logger = logging.getLogger(__name__)

MAX_LEVEL = 2


@dataclass(frozen=True)
class Figures:
    """The quota figures of one channel."""

    quota: int
    delegated: int
    used: int
    available: int
    shared: int = 0

    @property
    def own(self) -> int:
        return self.quota - self.delegated


def default_quota_max() -> int:
    return int(current_app.config.get("QUOTA_MAX", 100_000))


def figures_for(channel_ids: list[int]) -> dict[int, Figures]:
    """Figures of many channels in two grouped queries (for list pages)."""
    if not channel_ids:
        return {}
    delegated = dict(
        db.session.execute(
            select(Channel.parent_id, func.coalesce(func.sum(Channel.quota), 0))
            .where(Channel.parent_id.in_(channel_ids))
            .group_by(Channel.parent_id)
        ).all()
    )
    states = {}
    for channel_id, used, available, shared in db.session.execute(
        select(
            ReferralCode.channel_id,
            func.sum(case((ReferralCode.state == CodeState.USED.value, 1), else_=0)),
            func.sum(case((ReferralCode.state == CodeState.AVAILABLE.value, 1), else_=0)),
            func.sum(
                case(
                    (
                        (ReferralCode.state == CodeState.AVAILABLE.value)
                        & ReferralCode.shared_at.is_not(None),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(ReferralCode.channel_id.in_(channel_ids))
        .group_by(ReferralCode.channel_id)
    ):
        states[channel_id] = (int(used or 0), int(available or 0), int(shared or 0))
    quotas = dict(db.session.execute(select(Channel.id, Channel.quota).where(Channel.id.in_(channel_ids))).all())
    result = {}
    for channel_id in channel_ids:
        used, available, shared = states.get(channel_id, (0, 0, 0))
        result[channel_id] = Figures(
            quota=int(quotas.get(channel_id, 0)),
            delegated=int(delegated.get(channel_id, 0)),
            used=used,
            available=available,
            shared=shared,
        )
    return result


def figures(channel: Channel) -> Figures:
    """Figures of one channel, read now."""
    return figures_for([channel.id])[channel.id]


def quota_range(channel: Channel) -> tuple[int, int]:
    """The smallest and largest quota the channel may be given now."""
    own = figures(channel)
    smallest = own.used + own.delegated
    largest = default_quota_max()
    parent = channel.parent
    if parent is not None and parent.level > 0:
        largest = min(largest, own.quota + figures(parent).available)
    return smallest, largest


def get_society_root(society: Society) -> Channel:
    """The society's own channel (level 0), created with the society."""
    root = db.session.scalar(select(Channel).where(Channel.society_id == society.id, Channel.level == 0))
    if root is None:
        with write_transaction():
            root = ensure_society_root(db.session.merge(society))
    return root


def ensure_society_root(society: Society) -> Channel:
    """Create the society's own channel if it is missing (caller's transaction)."""
    root = db.session.scalar(select(Channel).where(Channel.society_id == society.id, Channel.level == 0))
    if root is None:
        root = Channel(society_id=society.id, level=0, name=society.name[:CHANNEL_NAME_MAX], quota=0)
        db.session.add(root)
        db.session.flush()
    return root


def clean_name(name: str | None) -> str:
    """The enterprise name as stored, or a refusal naming the limit."""
    text = normalize_text(name)
    if not text:
        raise ChannelError(_l("Enter the enterprise name."), field="name")
    if "\n" in text:
        raise ChannelError(_l("The enterprise name must be on one line."), field="name")
    if len(text) > CHANNEL_NAME_MAX:
        raise ChannelError(
            _l("The enterprise name has at most %(maximum)d characters (now %(length)d).", maximum=CHANNEL_NAME_MAX, length=len(text)),
            field="name",
        )
    return text


def check_quota_value(value) -> int:
    """A whole number from 0 to the configured maximum, or a refusal saying so."""
    maximum = default_quota_max()
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            text = str(value).strip()
            if not text.isascii() or not text.lstrip("-").isdigit():
                raise ValueError
            value = int(text)
        except (TypeError, ValueError):
            raise QuotaError(_l("Enter the number of codes as a whole number."), field="quota") from None
    if value < 0:
        raise QuotaError(_l("The number of codes cannot be negative."), field="quota")
    if value > maximum:
        raise QuotaError(
            _l("The number of codes can be at most %(maximum)d.", maximum=maximum), field="quota"
        )
    return value


def _lock(channel_id: int) -> Channel:
    channel = db.session.scalar(
        lock_rows(select(Channel).where(Channel.id == channel_id)).execution_options(populate_existing=True)
    )
    if channel is None:
        raise ChannelError(_l("This channel no longer exists."))
    return channel


def _check_unique_name(parent_id: int, name: str, exclude_id: int | None = None) -> None:
    # Compared in Python: SQLite's lower() folds ASCII letters only (Ä/ä, Ａ/ａ would
    # pass there), so the database cannot decide case-insensitive equality alike on both.
    query = select(Channel.name).where(Channel.parent_id == parent_id)
    if exclude_id is not None:
        query = query.where(Channel.id != exclude_id)
    folded = name.casefold()
    if any(existing.casefold() == folded for existing in db.session.scalars(query)):
        raise ChannelError(_l("An enterprise with this name already exists here."), field="name")


def _snapshot(channel: Channel) -> dict:
    return {"name": channel.name, "quota": channel.quota, "enabled": channel.enabled}


def create_enterprise(parent: Channel, name: str, quota, *, actor: Identity | None) -> Channel:
    """Create a level-1 (under a society) or level-2 (under a level-1) enterprise channel
    with ``quota`` new codes; a level-2 quota comes out of the parent's available codes."""
    name = clean_name(name)
    quota = check_quota_value(quota)

    with write_transaction():
        parent = _lock(parent.id)
        if parent.level >= MAX_LEVEL:
            raise ChannelError(_l("A level-2 enterprise cannot have enterprises under it."))
        _check_unique_name(parent.id, name)
        if parent.level > 0:
            available = figures(parent).available
            if quota > available:
                raise QuotaError(
                    _l(
                        "At most %(maximum)d codes can be given: %(parent)s has %(available)d available codes.",
                        maximum=available,
                        parent=parent.name,
                        available=available,
                    ),
                    field="quota",
                )
        child = Channel(
            society_id=parent.society_id,
            parent_id=parent.id,
            level=parent.level + 1,
            name=name,
            quota=quota,
            enabled=True,
            created_by_id=actor.account_id if actor else None,
        )
        db.session.add(child)
        db.session.flush()
        if parent.level > 0 and codes.revoke_codes(parent.id, quota) != quota:
            raise QuotaError(_l("Codes were used meanwhile; please try again."), field="quota")
        codes.create_codes(child.id, quota)
        record_change("channel.create", child, actor=actor, after=_snapshot(child))

    logger.info("channel %s created under %s with quota %s by identity %s", child.id, parent.id, quota, _who(actor))
    return child


def update_enterprise(channel: Channel, name: str, quota, *, actor: Identity | None) -> Channel:
    """Rename a channel and set its quota within the allowed range (SPEC §2)."""
    name = clean_name(name)
    new_quota = check_quota_value(quota)

    with write_transaction():
        if channel.parent_id is None:
            raise ChannelError(_l("A society's own channel has no quota."))
        parent = _lock(channel.parent_id)
        channel = _lock(channel.id)
        _check_unique_name(parent.id, name, exclude_id=channel.id)
        before = _snapshot(channel)
        old_quota = channel.quota
        own = figures(channel)
        smallest = own.used + own.delegated
        if new_quota < smallest:
            raise QuotaError(
                _l(
                    "The number of codes cannot be less than %(minimum)d: %(used)d used, %(delegated)d given to lower-level enterprises.",
                    minimum=smallest,
                    used=own.used,
                    delegated=own.delegated,
                ),
                field="quota",
            )
        difference = new_quota - old_quota
        if parent.level > 0 and difference > 0:
            parent_available = figures(parent).available
            if difference > parent_available:
                raise QuotaError(
                    _l(
                        "The number of codes cannot be more than %(maximum)d: %(parent)s has %(available)d available codes.",
                        maximum=old_quota + parent_available,
                        parent=parent.name,
                        available=parent_available,
                    ),
                    field="quota",
                )

        channel.name = name
        channel.quota = new_quota
        if difference > 0:
            if parent.level > 0 and codes.revoke_codes(parent.id, difference) != difference:
                raise QuotaError(_l("Codes were used meanwhile; please try again."), field="quota")
            codes.create_codes(channel.id, difference)
        elif difference < 0:
            if codes.revoke_codes(channel.id, -difference) != -difference:
                raise QuotaError(_l("Codes were used meanwhile; please try again."), field="quota")
            if parent.level > 0:
                codes.create_codes(parent.id, -difference)
        after = _snapshot(channel)
        if after != before:
            action = "channel.quota" if difference else "channel.rename"
            record_change(action, channel, actor=actor, before=before, after=after)

    if difference:
        logger.info("channel %s quota %s→%s by identity %s", channel.id, old_quota, new_quota, _who(actor))
    return channel


def set_enabled(channel: Channel, enabled: bool, *, actor: Identity | None) -> Channel:
    """Disable (禁用) or enable (启用) a channel; its codes and descendants' follow."""
    with write_transaction():
        channel = _lock(channel.id)
        if channel.level == 0:
            raise ChannelError(_l("A society's own channel cannot be disabled here."))
        if channel.enabled == enabled:
            return channel
        before = _snapshot(channel)
        channel.enabled = enabled
        record_change("channel.enable" if enabled else "channel.disable", channel, actor=actor, before=before, after=_snapshot(channel))
    logger.info("channel %s %s by identity %s", channel.id, "enabled" if enabled else "disabled", _who(actor))
    return channel


def check_invariants(channel: Channel) -> list[str]:
    """Human-readable violations of the quota invariants for one channel (empty when sound)."""
    problems = []
    own = figures(channel)
    if channel.level == 0:
        return problems
    if own.available + own.used != own.quota - own.delegated:
        problems.append(
            f"channel {channel.id}: available {own.available} + used {own.used} != quota {own.quota} - delegated {own.delegated}"
        )
    if own.quota < own.used + own.delegated:
        problems.append(f"channel {channel.id}: quota {own.quota} < used {own.used} + delegated {own.delegated}")
    return problems


def _who(actor: Identity | None):
    return actor.id if actor is not None else "cli"
