"""Password-reset and invitation emails whose links are built from settings.SITE_URL.

Django's PasswordResetForm builds the link from the request's Host header when it is given
no domain: anyone could ask for a reset of a member's password with `Host:` of their own
choosing (any host ALLOWED_HOSTS accepts, on any port) and the member would be mailed a link
to it, token included. Every email's links come from SITE_URL instead, as the reminders'
do (reminders/emails.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm


def site_link_parts() -> dict:
    """`domain_override` and `use_https` for PasswordResetForm.save(): the templates write
    `{{ protocol }}://{{ domain }}{% url ... %}`, which is then SITE_URL followed by the path,
    as reminders/emails.py `absolute()` writes it."""
    parts = urlsplit(settings.SITE_URL)
    return {
        "domain_override": parts.netloc + parts.path.rstrip("/"),
        "use_https": parts.scheme == "https",
    }


class SitePasswordResetForm(PasswordResetForm):
    """The password-reset form of the reset page and of member invitations."""

    def save(self, **kwargs):
        kwargs.update(site_link_parts())
        return super().save(**kwargs)
