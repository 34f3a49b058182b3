"""User accounts, for administrators (the system action ``manage_users``).

A role change needs the actor's password (and code) again (``reauth_password``,
``reauth_otp``: ``accounts/reauth.py``). Role, activation and team changes are audited by the signals of ``yiri.audit``; setting a
password is audited here, and it ends the user's API token so a leaked one stops working.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import BasePermission

from yiri.accounts import reauth, tokens
from yiri.accounts.models import Role, UserGroup
from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.network.models import Agency, RelayCell

from .common import errors
from .pagination import Pagination

User = get_user_model()
REAUTH_NEEDED = _("Changer le rôle d'un utilisateur demande de confirmer votre identité : "
                  "envoyez votre mot de passe (reauth_password) et, si votre compte en a un, "
                  "le code de votre application (reauth_otp).")


class CanManageUsers(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.can("manage_users", "system"))


class UserSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.filter(deleted=False), allow_null=True, required=False
    )
    agency = serializers.SlugRelatedField(
        slug_field="code", queryset=Agency.objects.filter(deleted=False), allow_null=True,
        required=False,
    )
    relay_cell = serializers.SlugRelatedField(
        slug_field="code", queryset=RelayCell.objects.filter(deleted=False), allow_null=True,
        required=False,
    )
    groups = serializers.PrimaryKeyRelatedField(
        source="user_groups", many=True, required=False,
        queryset=UserGroup.objects.filter(deleted=False),
    )
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"},
        help_text="Required when creating; checked by the password rules.",
    )
    is_locked = serializers.BooleanField(read_only=True)
    reauth_password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=4096,
        trim_whitespace=False, style={"input_type": "password"},
        help_text="Your own password: required to change a user's role (re-authentication).")
    reauth_otp = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=32,
        help_text="Your own authentication code, with reauth_password, if your account has one.")

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "phone", "language",
                  "role", "agency", "relay_cell", "groups", "is_active", "is_locked",
                  "last_login", "password", "reauth_password", "reauth_otp"]
        read_only_fields = ["id", "last_login"]

    def validate(self, attrs: dict) -> dict:
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": [self.fields["password"].error_messages["required"]]})
        password = attrs.get("password")
        if password:
            # The similarity rule compares with the account's names: check against the
            # account as it will be after this change.
            names = ("username", "first_name", "last_name", "email")
            probe = User(**{n: attrs.get(n, getattr(self.instance, n, "")) for n in names})
            try:
                validate_password(password, probe)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs

    def save_user(self, actor, request) -> User:
        """Create or update the account in one transaction."""
        data = dict(self.validated_data)
        data.pop("reauth_password", None)
        data.pop("reauth_otp", None)
        password = data.pop("password", None)
        groups = data.pop("user_groups", None)
        with transaction.atomic():
            user = self.instance or User()
            for name, value in data.items():
                setattr(user, name, value)
            if password:
                user.set_password(password)
            user.save()
            if groups is not None:
                user.user_groups.set(groups)
            if password and self.instance is not None:
                tokens.revoke_all(user)
                record_event(AuditAction.PERMISSION_CHANGE, user=actor, request=request,
                             record_type="user", record_id=user.pk, password_set=True)
        self.instance = user
        return user


@extend_schema_view(
    list=extend_schema(summary="User accounts (administrators)",
                       responses={200: UserSerializer(many=True), **errors(403)}),
    retrieve=extend_schema(summary="One user account", responses={200: UserSerializer, **errors(403, 404)}),
    create=extend_schema(summary="Create an account", responses={201: UserSerializer, **errors(400, 403)}),
    partial_update=extend_schema(summary="Change role, agency, teams, activation or password",
                                 responses={200: UserSerializer, **errors(400, 403, 404)}),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = UserSerializer
    permission_classes = [CanManageUsers]
    pagination_class = Pagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = (User.objects.select_related("role", "agency", "relay_cell")
                .prefetch_related("user_groups").order_by("username"))

    def perform_create(self, serializer: UserSerializer) -> None:
        serializer.save_user(self.request.user, self.request)

    def perform_update(self, serializer: UserSerializer) -> None:
        data = serializer.validated_data
        if "role" in data and data["role"] != serializer.instance.role:
            # A role change needs the actor's password (and code) again (accounts/reauth.py),
            # unless this browser session confirmed it within the last minutes.
            http_request = self.request._request
            if not (reauth.is_recent(http_request) or reauth.confirm(
                    http_request, data.get("reauth_password", ""), data.get("reauth_otp", ""),
                    remember=False)):
                raise serializers.ValidationError({"reauth_password": [str(REAUTH_NEEDED)]})
        serializer.save_user(self.request.user, self.request)
