"""Personal API tokens (api/tokens.py makes, checks and revokes them).

A token is shown once, when it is made; only its SHA-256 hash is stored, with a short
prefix of it for the member to recognise it by. A token acts as its member, with their role
and organization, never more: `scope` only ever takes rights away (a read token cannot
write)."""

from __future__ import annotations

from django.db import models

from candidates.models import User


class Scope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, e.g. “ATS sync”.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    # The token's first characters (not secret: too few to guess the rest from).
    prefix = models.CharField(max_length=16)
    # SHA-256 of the whole token, hex: the lookup key. The token itself is never stored.
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "revoked_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=["read", "write"]), name="api_token_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE
