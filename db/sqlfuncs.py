"""SQL expressions that each backend spells its own way."""

from datetime import date

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class month_start(FunctionElement):  # noqa: N801 - reads like the SQL function it compiles to
    """The first day of a date's month."""

    type = Date()
    inherit_cache = True


@compiles(month_start, "sqlite")
def _month_sqlite(element, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(month_start, "postgresql")
def _month_pg(element, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


def first_of_month(day: date) -> date:
    """The first day of the month of `day`."""
    return day.replace(day=1)
