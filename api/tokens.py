"""Making, checking and revoking personal API tokens: the only writes to ApiToken.

A token is `rcv_` and 43 URL-safe random characters (256 bits). Only its SHA-256 is kept:
a leaked database does not hand out working tokens, and a fast hash is enough for a
random secret of that length (no password to stretch)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from candidates.models import User

from .models import ApiToken, Scope

log = logging.getLogger(__name__)

TOKEN_PREFIX = "rcv_"  # noqa: S105  (not a secret: every token starts so)
PREFIX_SHOWN = len(TOKEN_PREFIX) + 6
# last_used_at is written at most this often per token: one UPDATE a minute, not a request.
LAST_USED_EVERY = timedelta(minutes=1)
# A member keeps at most this many live tokens (a runaway script is not an account's life).
MAX_ACTIVE_TOKENS = 20


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


@transaction.atomic
def token_create(*, member: User, name: str, scope: str) -> NewToken:
    if member.organization_id is None or not member.is_active:
        raise ValidationError("Only an active member of an organization can have API tokens.")
    name = (name or "").strip()
    if scope not in Scope.values:
        raise ValidationError({"scope": "Choose read or write."})
    # The member's row is locked so that two requests cannot pass the cap together.
    User.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()
    if member.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_ACTIVE_TOKENS} tokens already: revoke one you no longer use."
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        member=member, name=name, scope=scope, prefix=raw[:PREFIX_SHOWN], key_hash=hash_token(raw)
    )
    token.full_clean()
    token.save()
    log.info("api token created member=%s token=%s scope=%s", member.pk, token.pk, scope)
    return NewToken(token=token, raw=raw)


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke once; revoking a revoked token changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
        log.info("api token revoked member=%s token=%s", token.member_id, token.pk)
    return token


def tokens_of(member: User):
    """A member's own tokens, newest first (the settings page): nobody sees another's."""
    return ApiToken.objects.filter(member=member).order_by("-created_at", "-id")


def token_for(raw: str) -> ApiToken | None:
    """The live token this is, with its member and their organization (one query), or None:
    unknown, revoked, or its member deactivated or without an organization."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("member__organization")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.member.is_active or token.member.organization_id is None:
        return None
    return token


def touch(token: ApiToken) -> None:
    """Record the use, at most once per LAST_USED_EVERY (an UPDATE only when it is due)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


@receiver(post_save, sender=User, dispatch_uid="recovery-revoke-tokens-of-inactive")
def revoke_tokens_of_inactive_member(sender, instance: User, created: bool, **kwargs):
    """A deactivated member's tokens die with their sessions (candidates/accounts.py), and
    stay dead if the member is reactivated: they make new ones."""
    update_fields = kwargs.get("update_fields")
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    revoked = ApiToken.objects.filter(member=instance, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        log.info("member deactivated user=%s api_tokens_revoked=%s", instance.pk, revoked)
