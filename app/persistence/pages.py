"""Newest-first listings read a page at a time: by offset (page numbers) or by keyset (after a position)."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from app.persistence.engine import Connects, read_with_retry

T = TypeVar("T")


@dataclass(frozen=True)
class Position:
    """Where a newest-first listing stopped: its last row's sort key, (created_at, id)."""

    created_at: datetime
    id: uuid.UUID


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of views, how many rows match in all, and the position the next page starts after
    (None when no row follows)."""

    items: list[T]
    total: int
    next: Position | None = None


def newest_first(
    table: sa.Table, matching: Sequence[sa.ColumnElement[bool]], counted: sa.Select[Any], *, keyset: bool
) -> sa.Select[Any]:
    """A page of `table`'s rows newest first, each with the `counted` total: one round trip. It walks the
    (filter, created_at, id) index: by offset it reads OFFSET + LIMIT entries, so its cost grows with the
    page's depth; by `keyset` it starts at the bound position, so every page costs the same."""
    listing = sa.select(*table.c, counted.scalar_subquery().label("matching")).where(*matching)
    if keyset:
        after = (
            sa.bindparam("after_created_at", type_=table.c.created_at.type),
            sa.bindparam("after_id", type_=table.c.id.type),
        )
        listing = listing.where(sa.tuple_(table.c.created_at, table.c.id) < sa.tuple_(*after))
    listing = listing.order_by(table.c.created_at.desc(), table.c.id.desc())
    limit, offset = sa.bindparam("limit", type_=sa.Integer()), sa.bindparam("offset", type_=sa.Integer())
    return listing.limit(limit).offset(offset)


def page_parameters(page: int, limit: int, after: Position | None) -> dict[str, Any]:
    """The bound values of a `newest_first` page; one row more than `limit` is read to know if more follow."""
    position = {"after_created_at": after.created_at, "after_id": after.id} if after else {}
    return {"limit": limit + 1, "offset": (page - 1) * limit} | position


def read_page(
    engine: Connects,
    queries: tuple[sa.Select[Any], sa.Select[Any]],
    params: Mapping[str, Any],
    view: Callable[[sa.RowMapping], T],
) -> Page[T]:
    """A `newest_first` page and its `counted` total (asked alone when the page is empty), as views."""

    def read(conn: sa.Connection) -> Page[T]:
        rows = conn.execute(queries[0], params).mappings().all()
        total = rows[0]["matching"] if rows else conn.execute(queries[1], params).scalar_one()
        kept = rows[: params["limit"] - 1]
        following = Position(kept[-1]["created_at"], kept[-1]["id"]) if len(rows) > len(kept) else None
        return Page([view(row) for row in kept], int(total), following)

    return read_with_retry(engine, read)
