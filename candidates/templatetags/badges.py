"""`{{ candidate.status|status_badge }}`, `{{ candidate.advice|advice_badge }}`: the badges of
candidates/rows.py, the one place their markup is written, for the templates."""

from __future__ import annotations

from django import template

from candidates import rows

register = template.Library()
register.filter("status_badge", rows.status_badge)
register.filter("advice_badge", rows.advice_badge)
