"""What one SQL statement reads or writes, from its text alone (framework-free, cached per text).

Dependency tracking (``herdcache.tracking``) and invalidation (``herdcache.invalidation``) see
every statement a connection runs. They need three facts about it: is it a read or a write, which
names it mentions (the candidate tables), and whether it is bounded to rows named by primary key
(``WHERE "t"."id" = %s``, ``... IN (%s, %s)``, ``INSERT ... ("id", ...) VALUES ...``). The text is
tokenised with ``sqlparse`` (a Django dependency) once per distinct statement: the ORM sends the
same texts again and again with different parameters, so the per-query cost is a dict lookup.

A statement is *row-bounded* only when that is certain: its WHERE clause is a plain conjunction
(no OR, NOT, EXISTS, subquery, join or set operation anywhere in the statement). Anything else is
treated as touching whole tables, which purges more but never too little.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlparse
from sqlparse import tokens as T

READ, WRITE, OTHER = "read", "write", "other"
WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE"})
# Any of these anywhere in a statement makes "the rows named in WHERE" an unsafe bound.
_UNBOUNDING = frozenset({"OR", "NOT", "EXISTS", "UNION", "UNION ALL", "INTERSECT", "EXCEPT"})
# Keywords that end a WHERE clause.
_WHERE_END = frozenset(
    {"GROUP BY", "ORDER BY", "LIMIT", "OFFSET", "RETURNING", "FOR", "HAVING", "WINDOW"}
)

# A value in the statement: ("p", i) is the i-th parameter, ("v", "text") a literal.
Value = tuple[str, object]


@dataclass(frozen=True, slots=True)
class Shape:
    """The facts about one statement that tracking and invalidation need."""

    kind: str  # READ, WRITE or OTHER
    names: frozenset[str]  # every identifier: unquoted ones lower-cased
    targets: tuple[str, ...] = ()  # written tables (writes)
    verb: str = ""
    bounded: bool = False  # WHERE is a plain conjunction over one FROM table, no subquery
    keys: tuple[tuple[str | None, str, tuple[Value, ...]], ...] = ()  # (table, column, values)
    assigned: frozenset[str] = frozenset()  # columns an UPDATE sets
    insert_columns: tuple[str, ...] | None = None
    insert_rows: tuple[tuple[Value | None, ...], ...] | None = None  # None cell: not a value


def resolve(value: Value, params: object) -> str | None:
    """The text of ``value`` given the statement's parameters (None when it cannot be known)."""
    kind, item = value
    if kind == "v":
        return str(item)
    try:
        found = params[item]  # type: ignore[index]
    except (TypeError, IndexError, KeyError):
        return None
    return None if found is None else str(found)


@functools.lru_cache(maxsize=4096)
def analyse(sql: str) -> Shape:
    """The shape of ``sql`` (see module docstring)."""
    tokens = (
        [
            t
            for t in sqlparse.parse(sql)[0].flatten()
            if not t.is_whitespace and t.ttype not in T.Comment
        ]
        if sql.strip()
        else []
    )
    names = frozenset(n for t in tokens if (n := _name(t)) is not None)
    verb_at = _verb_index(tokens)
    if verb_at is None:
        return Shape(OTHER, names)
    verb = tokens[verb_at].value.upper()
    if verb == "SELECT":
        kind = READ
    elif verb in WRITE_VERBS:
        kind = WRITE
    else:
        return Shape(OTHER, names, verb=verb)
    ordinals = _placeholder_ordinals(tokens)
    upper = [t.value.upper() if t.is_keyword else "" for t in tokens]
    selects = sum(1 for t in tokens if t.ttype in T.DML and t.value.upper() == "SELECT")
    bounded = (
        not any(u in _UNBOUNDING or "JOIN" in u for u in upper)
        and selects == (1 if kind == READ else 0)
        and tokens[0].ttype not in T.CTE
    )
    targets = _targets(tokens, verb_at, verb) if kind == WRITE else ()
    keys = _where_keys(tokens, upper, ordinals) if bounded else ()
    shape = Shape(kind, names, targets, verb, bounded, keys)
    if verb == "UPDATE":
        shape = _with(shape, assigned=_assigned(tokens, upper))
    if verb in ("INSERT", "REPLACE"):
        columns, rows = _insert_values(tokens, upper, ordinals)
        shape = _with(shape, insert_columns=columns, insert_rows=rows)
    return shape


def _with(shape: Shape, **changes: object) -> Shape:
    from dataclasses import replace

    return replace(shape, **changes)  # type: ignore[arg-type]


def _name(token: sqlparse.sql.Token) -> str | None:
    if token.ttype in T.Name.Placeholder:
        return None
    if token.ttype in T.Name:
        return token.value.lower()
    if token.ttype in T.Literal.String.Symbol:  # "quoted" or `quoted` identifiers
        return token.value[1:-1]
    return None


def _verb_index(tokens: list) -> int | None:
    depth = 0
    for i, token in enumerate(tokens):
        if token.ttype in T.Punctuation:
            depth += {"(": 1, ")": -1}.get(token.value, 0)
        elif depth == 0 and (token.ttype in T.DML or token.ttype in T.DDL):
            return i
    return None


def _placeholder_ordinals(tokens: list) -> dict[int, int]:
    ordinals, count = {}, 0
    for i, token in enumerate(tokens):
        if token.ttype in T.Name.Placeholder:
            ordinals[i] = count
            count += 1
    return ordinals


def _value(tokens: list, i: int, ordinals: dict[int, int]) -> Value | None:
    token = tokens[i]
    if i in ordinals:
        return ("p", ordinals[i])
    if token.ttype in T.Literal.Number:
        return ("v", token.value)
    if token.ttype in T.Literal.String.Single:
        return ("v", token.value[1:-1].replace("''", "'"))
    return None


def _qualified(tokens: list, end: int) -> tuple[str | None, str] | None:
    """The (table, column) whose last part is ``tokens[end]``; None when it is no column."""
    column = _name(tokens[end])
    if column is None:
        return None
    if end >= 2 and tokens[end - 1].value == "." and (table := _name(tokens[end - 2])) is not None:
        return table, column
    return None, column


def _targets(tokens: list, verb_at: int, verb: str) -> tuple[str, ...]:
    i = verb_at + 1
    skip = {"INTO", "FROM", "TABLE", "ONLY", "OR", "IGNORE", "REPLACE", "LOW_PRIORITY", "QUICK"}
    while i < len(tokens) and tokens[i].is_keyword and tokens[i].value.upper() in skip:
        i += 1
    targets: list[str] = []
    while i < len(tokens):
        name = _name(tokens[i])
        if name is None:
            break
        while i + 2 < len(tokens) and tokens[i + 1].value == "." and _name(tokens[i + 2]):
            i += 2
            name = _name(tokens[i])
        targets.append(name)  # type: ignore[arg-type]
        # TRUNCATE a, b names several tables; every other verb names one.
        if verb != "TRUNCATE" or i + 2 >= len(tokens) or tokens[i + 1].value != ",":
            break
        i += 2
    return tuple(targets)


def _where_keys(
    tokens: list, upper: list[str], ordinals: dict[int, int]
) -> tuple[tuple[str | None, str, tuple[Value, ...]], ...]:
    try:
        start = upper.index("WHERE")
    except ValueError:
        return ()
    keys = []
    i = start + 1
    while i < len(tokens):
        if upper[i] in _WHERE_END:
            break
        token = tokens[i]
        if token.ttype in T.Operator.Comparison and token.value == "=" and i + 1 < len(tokens):
            column = _qualified(tokens, i - 1)
            value = _value(tokens, i + 1, ordinals)
            if column and value:
                keys.append((*column, (value,)))
        elif upper[i] == "IN" and i + 1 < len(tokens) and tokens[i + 1].value == "(":
            column = _qualified(tokens, i - 1)
            values, j = _tuple(tokens, i + 1, ordinals)
            if column and values is not None and all(v is not None for v in values):
                keys.append((*column, tuple(values)))  # type: ignore[arg-type]
            i = j
        i += 1
    return tuple(keys)


def _tuple(tokens: list, open_at: int, ordinals: dict[int, int]) -> tuple[list | None, int]:
    """Values of the parenthesised list opening at ``open_at`` and the index of its ``)``;
    a cell that is no plain value is None, a nested parenthesis makes the whole list None."""
    values: list[Value | None] = []
    i = open_at + 1
    expect_value = True
    while i < len(tokens):
        token = tokens[i]
        if token.value == ")":
            return values, i
        if token.value == "(":
            depth = 1
            while depth and i + 1 < len(tokens):
                i += 1
                depth += {"(": 1, ")": -1}.get(tokens[i].value, 0)
            values.append(None)
        elif token.value == ",":
            expect_value = True
        elif expect_value:
            values.append(_value(tokens, i, ordinals))
            expect_value = False
        else:  # an expression, not a single value: the cell is unknown
            if values:
                values[-1] = None
        i += 1
    return None, i


def _assigned(tokens: list, upper: list[str]) -> frozenset[str]:
    try:
        start = upper.index("SET")
    except ValueError:
        return frozenset()
    assigned, depth = set(), 0
    for i in range(start + 1, len(tokens) - 1):
        token = tokens[i]
        if token.value in "()" and token.ttype in T.Punctuation:
            depth += 1 if token.value == "(" else -1
        if depth == 0 and upper[i] in ("WHERE", "FROM", "RETURNING"):
            break
        if depth == 0 and tokens[i + 1].value == "=" and (column := _qualified(tokens, i)):
            assigned.add(column[1])
    return frozenset(assigned)


def _insert_values(
    tokens: list, upper: list[str], ordinals: dict[int, int]
) -> tuple[tuple[str, ...] | None, tuple[tuple[Value | None, ...], ...] | None]:
    """The column list of an INSERT and its VALUES rows (None: rows not written as VALUES,
    e.g. ``INSERT ... SELECT`` or PostgreSQL's ``SELECT * FROM UNNEST(...)`` bulk insert)."""
    body = next((i for i, u in enumerate(upper) if u in ("VALUES", "SELECT")), len(tokens))
    columns: list[str] = []
    opening = next((i for i in range(body) if tokens[i].value == "("), None)
    if opening is not None:
        for token in tokens[opening + 1 : body]:
            if token.value == ")":
                break
            if (name := _name(token)) is not None:
                columns.append(name)
    if body == len(tokens) or upper[body] != "VALUES":
        return tuple(columns) or None, None
    rows = []
    i = body + 1
    while i < len(tokens) and tokens[i].value == "(":
        row, i = _tuple(tokens, i, ordinals)
        if row is None:
            return tuple(columns) or None, None
        rows.append(tuple(row))
        i += 1
        if i < len(tokens) and tokens[i].value == ",":
            i += 1
        else:
            break
    return tuple(columns) or None, tuple(rows)
