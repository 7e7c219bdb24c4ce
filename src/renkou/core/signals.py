"""Signal handlers: audit of writes to registered data and of logins."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import audit
from .models import AuditedModel, LoginFailure


def _address(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


@receiver(pre_save)
def _remember_before(sender, instance, **kwargs):
    if not isinstance(instance, AuditedModel) or instance._state.adding:
        return
    before = audit.serialise_loaded(instance)
    if before is None and instance.pk is not None:
        fresh = type(instance)._base_manager.filter(pk=instance.pk).first()
        before = audit.serialise_instance(fresh) if fresh is not None else None
    instance._audit_before = before


@receiver(post_save)
def _audit_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel):
        return
    after = audit.serialise_instance(instance)
    before = None if created else getattr(instance, "_audit_before", None)
    if not created and before == after:
        return  # a save that changed nothing is not a change
    audit.record("create" if created else "update", instance, before=before, after=after)
    instance._audit_loaded = {k: v for k, v in after.items()}
    instance._audit_before = None


@receiver(post_delete)
def _audit_delete(sender, instance, **kwargs):
    if not isinstance(instance, AuditedModel):
        return
    audit.record("delete", instance, before=audit.serialise_instance(instance))


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs):
    audit.record("login", user=user, object_type="core.user", object_id=str(user.pk),
                 object_repr=user.get_username(), address=_address(request))


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("logout", user=user, object_type="core.user", object_id=str(user.pk),
                     object_repr=user.get_username(), address=_address(request))


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")[:150]
    address = _address(request)
    detail = {"username": username}
    lock = getattr(request, "renkou_throttled", None)
    if lock:
        detail["locked"] = lock  # refused by the throttle (core/auth.py)
    if getattr(request, "renkou_failure_counted", True):
        LoginFailure.objects.create(username=username, address=address)
    else:
        detail["right_password"] = True  # not counted as a failure: the lock must not feed on its owner
    audit.record("login_failed", user=None, object_type="core.user", object_repr=username,
                 detail=detail, address=address)


def _areas_changed(sender, instance, **kwargs):
    """A user's capture or view areas changed: the scope remembered on that user object is stale."""
    from .models import User
    from .scoping import forget_areas

    if isinstance(instance, User):
        forget_areas(instance)


def _connect_area_signals():
    from django.db.models.signals import m2m_changed

    from .models import User

    for field in ("capture_areas", "view_areas"):
        m2m_changed.connect(_areas_changed, sender=getattr(User, field).through,
                            dispatch_uid=f"renkou-scope-{field}")


_connect_area_signals()
