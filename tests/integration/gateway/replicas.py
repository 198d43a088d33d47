"""What the replica tests share: the replicated database and the gateway starter the fixtures give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tests.support.own_postgres import OwnPostgres

Start = Callable[..., FlaskClient]


@dataclass(frozen=True)
class Replicated:
    """A primary of the tests' own with a migrated database, and its streaming replica."""

    primary: OwnPostgres
    replica: OwnPostgres
    url: str  # the database on the primary, as its owner
    engine: Engine  # the owner's, on the primary

    @property
    def replica_url(self) -> str:
        return make_url(self.url).set(port=self.replica.port).render_as_string(hide_password=False)
