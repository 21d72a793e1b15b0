"""`field__any=values`: `__in` for a long list of values, sent as one array on PostgreSQL.

Django compiles `__in` to a placeholder per value, and psycopg scans the statement once per
placeholder before sending it (Django ticket #37211, not in 5.2): checking a 50,000-row
import spent a fifth of its time there. On PostgreSQL `column = ANY(%s::type[])` is what
the planner makes of `IN (...)` anyway, with one parameter; elsewhere `__any` is `__in`.
The importer's lookups and the re-evaluation of many candidates at once (the hourly task,
an import's batch) use it.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _OneArray:
    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(value, connection, prepared=True)
            for value in dict.fromkeys(self.rhs)
            if value is not None  # NULL equals nothing, as with IN
        ]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{field.db_type(connection)}[])", (*lhs_params, values)


@Field.register_lookup
class AnyOf(_OneArray, In):
    lookup_name = "any"


@ForeignObject.register_lookup
class RelatedAnyOf(_OneArray, RelatedIn):
    """`candidate__any=[...]`, `candidate_id__any=[...]`: ids or the rows themselves."""

    lookup_name = "any"
