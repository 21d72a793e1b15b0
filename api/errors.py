"""Every refusal as JSON: DRF's own handler, plus Django's ValidationError (a rule a form or
model checks) as a 400 with the field and the reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def django_errors(exc: ValidationError) -> dict[str, list[str]]:
    """{field: [reasons]}; what concerns the whole request under `non_field_errors`."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): messages
            for name, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    return drf_exception_handler(exc, context)


def page_not_found(request, exception):
    """settings.ROOT_URLCONF's handler404: an unknown URL under /api/ (a path whose id is not
    a number, say) answers JSON like every other API refusal; every other URL, Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
