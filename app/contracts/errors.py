"""Errors a message can raise that say what the bus should do with it."""


class ContractError(ValueError):
    """The message is not a valid envelope or payload; it can never succeed (dead-letter it)."""


class UnknownEventType(ContractError):
    """The envelope names an event type or version nobody here understands."""


class NotYetApplicable(Exception):
    """The event depends on another one that has not been applied yet; retry it later."""
