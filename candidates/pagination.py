"""Pages of a long list that cost the same on page 2,000 as on page 1.

`OFFSET 99950` makes the database walk past 99,950 rows to return 50: page 2,000 of the
candidate list costs a hundred times page 1 (figures in the README). Keyset ("seek")
pagination asks instead for the rows after the last row of the previous page: the list is
ordered by keys that read in one direction (`models.SORT_KEYS`), and "after row R" is the
single row comparison `(k1, k2, k3) > (R.k1, R.k2, R.k3)`, which an index on the same keys
answers by seeking straight to R. So:

- "Next" and "Previous" links carry the page number (for "page N of M") and the id of the
  row to continue from (`after`, `before`); the row's keys are read back with one primary-key
  lookup in the user's organization, so the URL shows no name and another organization's id
  is just an unknown row;
- a page number typed without a cursor (or a cursor whose row was deleted) falls back to
  OFFSET, counted from the nearer end of the index: the last pages are as cheap as the first,
  the middle of a long list costs the most;
- the count for "page N of M" is read from the counts per status (models.StatusCount) when
  the list is filtered by status at most, and counted otherwise.

A row written between two clicks can shift what "page N" holds by a row or two, as on any
paginated list that changes; no row is ever shown twice on one page or skipped within one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Expression, F, QuerySet, Value

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


class RowCompare(Expression):
    """`(lhs1, lhs2, ...) op (rhs1, rhs2, ...)`: SQL row values (PostgreSQL; SQLite 3.15+)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, lhs: list, op: str, rhs: list):
        if op not in ("<", ">") or len(lhs) != len(rhs):
            raise ValueError("Compare rows of the same length with < or >.")
        super().__init__()
        self.lhs, self.op, self.rhs = list(lhs), op, list(rhs)

    def get_source_expressions(self) -> list:
        return [*self.lhs, *self.rhs]

    def set_source_expressions(self, exprs: list) -> None:
        n = len(self.lhs)
        self.lhs, self.rhs = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        params: list = []
        sides = []
        for side in (self.lhs, self.rhs):
            parts = []
            for expression in side:
                sql, p = compiler.compile(expression)
                parts.append(sql)
                params.extend(p)
            sides.append(f"({', '.join(parts)})")
        return f"{sides[0]} {self.op} {sides[1]}", params


def per_page_from(value: Any, default: int = DEFAULT_PER_PAGE) -> int:
    """`?per_page=`: a whole number from 1 to MAX_PER_PAGE, else the default."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), MAX_PER_PAGE)


MAX_OFFSET_PAGE = 1_000_000


def _positive(value: Any) -> int | None:
    """A whole number a database id can be (1 to 2**63 - 1), else None: a cursor or page from
    the URL is whatever someone typed."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number < 2**63 else None


@dataclass
class Page:
    """What the template shows; named like Django's Page so that templates read the same."""

    object_list: list
    number: int
    count: int
    per_page: int
    next_after: int | None = None  # the cursor the "Next" link carries
    previous_before: int | None = None  # the cursor the "Previous" link carries
    capped: bool = False  # more rows than `count` exist (a search shows "500+")

    @property
    def paginator(self) -> Page:
        return self

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.count else 0

    def end_index(self) -> int:
        return min(self.number * self.per_page, self.count)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _keys_of(keys: tuple) -> list[str]:
    return [f"_k{i}" for i in range(len(keys))]


def _ordered(qs: QuerySet, keys: tuple, descending: bool, *, reverse: bool = False) -> QuerySet:
    names = _keys_of(keys)
    qs = qs.alias(**dict(zip(names, keys, strict=True)))
    backwards = descending != reverse
    return qs.order_by(*(F(n).desc() if backwards else F(n).asc() for n in names))


def _anchor(anchors: QuerySet, pk: int, keys: tuple) -> list | None:
    names = _keys_of(keys)
    row = (
        anchors.filter(pk=pk)
        .annotate(**dict(zip(names, keys, strict=True)))
        .values_list(*names)
        .first()
    )
    return list(row) if row is not None else None


def keyset_page(
    qs: QuerySet,
    *,
    sort: tuple[bool, tuple],
    anchors: QuerySet,
    count: int,
    page: Any = None,
    after: Any = None,
    before: Any = None,
    per_page: int = DEFAULT_PER_PAGE,
) -> Page:
    """One page of `qs` in the order of `sort` (`(descending, keys)`, see models.SORT_KEYS).

    `anchors` is where cursor rows are looked up: the same organization's rows, unfiltered
    (a row that left the filter since still marks a place in the order). `count` is how many
    rows `qs` has. Never more than two queries: the cursor's row and the page.
    """
    descending, keys = sort
    names = _keys_of(keys)
    num_pages = max(1, -(-count // per_page))
    number = min(_positive(page) or 1, num_pages)
    forward = _ordered(qs, keys, descending)

    def compare(op: str, values: list) -> RowCompare:
        if descending:
            op = "<" if op == ">" else ">"
        return RowCompare([F(n) for n in names], op, [Value(v) for v in values])

    rows: list | None = None
    after_pk, before_pk = _positive(after), _positive(before)
    if number > 1 and after_pk:
        values = _anchor(anchors, after_pk, keys)
        if values is not None:
            rows = list(forward.filter(compare(">", values))[:per_page])
            rows = rows or None  # the end moved: fall back below
    elif number > 1 and before_pk:
        values = _anchor(anchors, before_pk, keys)
        if values is not None:
            backward = _ordered(qs, keys, descending, reverse=True)
            rows = list(backward.filter(compare("<", values))[:per_page])[::-1]
            if len(rows) < per_page:
                # Rows were deleted before this point: show the full first page instead.
                number, rows = 1, None
    if rows is None:
        # No usable cursor: OFFSET, from whichever end of the index is nearer, so that the
        # last pages are as cheap as the first and no page walks past more than half the list.
        offset = (number - 1) * per_page
        take = max(0, min(per_page, count - offset))
        after_page = count - offset - take
        if after_page < offset:
            backward = _ordered(qs, keys, descending, reverse=True)
            rows = list(backward[after_page : after_page + take])[::-1]
        else:
            rows = list(forward[offset : offset + per_page])
    return Page(
        object_list=rows,
        number=number,
        count=count,
        per_page=per_page,
        next_after=rows[-1].pk if rows and number < num_pages else None,
        previous_before=rows[0].pk if rows and number > 1 else None,
    )


def capped_page(
    rows: QuerySet, *, page: Any, per_page: int, cap: int, past_cap: QuerySet | None = None
) -> Page:
    """A page by OFFSET, for lists that are small by nature (search results), counted up to
    `cap` rows and no further: the count of a vague search costs the same as a precise one's.
    Past the cap the rows come from `past_cap` when given (the same rows in a cheaper order).
    A page past the end shows the last page."""
    count = rows.order_by().values("pk")[: cap + 1].count()
    capped = count > cap
    if capped and past_cap is not None:
        rows = past_cap
    count = min(count, cap)
    num_pages = max(1, -(-count // per_page))
    # Bounded: OFFSET (2**63 / per_page) overflows the database's integer (a 500).
    number = min(_positive(page) or 1, num_pages, MAX_OFFSET_PAGE)
    offset = (number - 1) * per_page
    # The last page stops at the count: "the first 500" are 500, whatever the page size.
    found = list(rows[offset : offset + min(per_page, count - offset)]) if count else []
    return Page(object_list=found, number=number, count=count, per_page=per_page, capped=capped)
