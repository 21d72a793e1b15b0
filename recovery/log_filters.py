"""A logging filter that masks secrets in the paths Django logs.

Django logs every 4xx and 5xx answer on `django.request` ("Not Found: /calendar/<token>.ics")
and runserver every request on `django.server`: the same rule as the access log
(recovery/gunicorn_logging.py) applies there, so a calendar feed's token or a password-reset
token never reaches the logs, and neither does a query string.
"""

from __future__ import annotations

import logging

from .gunicorn_logging import private_path


class PrivatePathFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                private_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        elif isinstance(record.msg, str) and record.msg.startswith("/"):
            record.msg = private_path(record.msg)
        return True
