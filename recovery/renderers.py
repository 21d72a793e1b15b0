"""How forms render: fields and Django's widgets through Jinja2, the pages through Django's
templates.

A page's form fields were most of its rendering time: each field a Django-template include
(label, errors, help text) and each widget another template or two, interpreted node by node
(the candidate page renders some sixty a view). Jinja2 compiles a template to Python once,
so the same markup costs a fraction of that. Pages write `{{ form.field.as_field_group }}`;
`field_template_name` below is the markup of a field, and Django ships a Jinja2 twin of every
widget template (django/forms/jinja2), same markup. The admin's own widgets have Django
templates only: a template Jinja2 cannot find comes from TEMPLATES, as before.

Jinja2 templates live under templates/jinja2/ and nowhere else, so that neither engine is
ever handed the other's syntax. To change a widget's markup, override it there
(templates/jinja2/django/forms/widgets/select.html does): a Django template under
templates/django/forms/ would reach the admin's widgets only.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import django.forms
from django.conf import settings
from django.forms.renderers import Jinja2
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.html import conditional_escape

JINJA2_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "jinja2"
DJANGO_WIDGETS = Path(django.forms.__file__).resolve().parent / "jinja2"


class FormRenderer(Jinja2):
    field_template_name = "forms/field.html"

    @cached_property
    def engine(self):
        return self.backend(
            {
                "NAME": "forms",
                "APP_DIRS": False,
                # Ours first: templates/jinja2 may override one of Django's widget templates.
                "DIRS": [JINJA2_TEMPLATES, DJANGO_WIDGETS],
                # Every value escaped by Django's rules, not MarkupSafe's (which writes ' as
                # &#39; where Django writes &#x27;): the markup is the Django templates', byte
                # for byte. Safe values (a widget, a SafeString) pass through as they are.
                "OPTIONS": {"finalize": conditional_escape},
            }
        )

    def get_template(self, template_name: str):
        try:
            return self.engine.get_template(template_name)
        except TemplateDoesNotExist:  # e.g. the admin's related-object widget
            return get_template(template_name)
