from rest_framework import permissions


class CanReadRecord(permissions.BasePermission):
    """The API's rule: analysts and above read the record (perm negotiations.view_statement)."""

    message = "Reading the record needs the analysts' rights."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("negotiations.view_statement"))
