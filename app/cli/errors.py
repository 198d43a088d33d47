"""The one error type subcommands raise for a failure an operator must read."""


class CommandError(Exception):
    """An operator-facing failure: printed as one line, exit code 1."""
