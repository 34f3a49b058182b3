"""Audit logins, failed logins, logouts and changes of roles or rights."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from yiri.accounts.models import Role
from yiri.accounts.rights import rights_changes

from .context import current_actor, current_request
from .models import AuditAction
from .services import record_event

User = get_user_model()


@receiver(user_logged_in, dispatch_uid="audit-login")
def _login(sender, request, user, **kwargs):
    record_event(AuditAction.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(AuditAction.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # The typed user name is kept only when it is a real account: a password typed into
    # the wrong box must not land in the log.
    known = User.objects.filter(username=credentials.get("username", "")).first()
    record_event(
        AuditAction.LOGIN_FAILED, request=request,
        record_type="user" if known else "", record_id=known.pk if known else None,
    )


# What decides which records a user reaches: the agency and relay cell set the scope of
# agency- and cell-wide roles as much as the role itself does.
_RIGHTS = ("role_id", "is_superuser", "is_active", "agency_id", "relay_cell_id")


@receiver(pre_save, sender=User, dispatch_uid="audit-user-role-before")
def _remember_role(sender, instance, **kwargs):
    old = User.objects.filter(pk=instance.pk).values(*_RIGHTS).first()
    instance._audit_old_rights = old


@receiver(post_save, sender=User, dispatch_uid="audit-user-role-after")
def _role_changed(sender, instance, created, **kwargs):
    old = getattr(instance, "_audit_old_rights", None)
    new = {name: getattr(instance, name) for name in _RIGHTS}
    if created or (old is not None and old != new):
        record_event(
            AuditAction.PERMISSION_CHANGE, user=current_actor(), request=current_request(),
            record_type="user", record_id=instance.pk,
            role=instance.role.code if instance.role else None,
            is_superuser=instance.is_superuser, is_active=instance.is_active,
            agency=instance.agency.code if instance.agency else None,
            relay_cell=instance.relay_cell.code if instance.relay_cell else None,
            created=created,
        )


_ROLE_FIELDS = ("code", "name_fr", "name_en", "scope", "permissions", "form_rights",
                "field_rights")


@receiver(pre_save, sender=Role, dispatch_uid="audit-role-before")
def _remember_role_rights(sender, instance, **kwargs):
    instance._audit_old_rights = Role.objects.filter(pk=instance.pk).values(*_ROLE_FIELDS).first()


@receiver(post_save, sender=Role, dispatch_uid="audit-role-changed")
def _role_saved(sender, instance, created, **kwargs):
    # What changed, as codes: scope, actions added and removed per record type, section
    # rights before and after. A save that changed nothing writes no row.
    old = getattr(instance, "_audit_old_rights", None)
    changes = rights_changes(old, {f: getattr(instance, f) for f in _ROLE_FIELDS})
    if not created and not changes:
        return
    record_event(AuditAction.PERMISSION_CHANGE, user=current_actor(), request=current_request(),
                 record_type="role", record_id=instance.pk,
                 role=instance.code, created=created, changes=changes)


@receiver(m2m_changed, sender=User.user_groups.through, dispatch_uid="audit-user-groups")
def _groups_changed(sender, instance, action, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, User):
        record_event(AuditAction.PERMISSION_CHANGE, user=current_actor(),
                     request=current_request(), record_type="user", record_id=instance.pk,
                     user_groups=action)
