"""Who may call what. The rules are the pages' own (candidates/access.py): a view names the
roles of the page it mirrors, and a token only ever narrows what its member may do."""

from __future__ import annotations

from rest_framework import permissions

from .models import ApiToken


class OrganizationMember(permissions.BasePermission):
    """A logged-in (or token) member of an organization; with `roles` set on the view, one of
    those roles for the methods it names (`write_roles`: unsafe methods, `read_roles`: safe
    ones) — the same tuples the pages' `member_required` take."""

    message = "Your role cannot do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if getattr(user, "organization_id", None) is None:
            self.message = "Your account does not belong to an organization."
            return False
        safe = request.method in permissions.SAFE_METHODS
        roles = getattr(view, "read_roles" if safe else "write_roles", None)
        return roles is None or user.role in roles


class TokenScope(permissions.BasePermission):
    """A read token reads; writing takes a read-write token."""

    message = "This token is read-only: writing takes a read-write token."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in permissions.SAFE_METHODS:
            return True
        return token.can_write
