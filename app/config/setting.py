"""One setting: the environment variable behind a Settings field, its default and its parser."""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A setting in the environment has a value the system cannot run with."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default and parser (the README's table says what it means)."""

    env: str
    default: str
    parse: Callable[[str], Any]
    secret: bool = False  # never echo the value in an error: it may hold a password or a raw key

    def read(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.env, self.default)
        try:
            return self.parse(raw)
        except ValueError as exc:
            reason = str(exc) if "must" in str(exc) else "is not a valid number"
            shown = "(value hidden)" if self.secret else repr(raw)
            raise ConfigError(f"{self.env}={shown} {reason}") from None


def variable(default: str, parse: Callable[[str], Any], *, secret: bool = False) -> Any:
    """A Settings field read from PAYFLOW_<FIELD NAME>, with its default and parser."""
    return dataclasses.field(metadata={"default": default, "parse": parse, "secret": secret})
