"""Typed refusals of the domain, each carrying a message already in the user's language."""


class DomainError(Exception):
    """A rule refused the request; ``message`` is shown to the user, ``field`` names
    the form field it concerns (or None for the whole form)."""

    def __init__(self, message, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class QuotaError(DomainError):
    """A quota change or allocation outside the allowed range."""


class CodeError(DomainError):
    """A referral code that cannot be used or shared."""


class ChannelError(DomainError):
    """A channel that cannot be created, renamed or changed."""


class AccountError(DomainError):
    """An account or identity that cannot be created or attached."""


class VerificationError(DomainError):
    """A verification code that cannot be sent or accepted; ``retry_after`` is the
    number of seconds before another code may be requested (0 when unrelated)."""

    def __init__(self, message, *, field: str | None = None, retry_after: int = 0) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after
