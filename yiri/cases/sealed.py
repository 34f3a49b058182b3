"""``SealedTextField``: a text column encrypted at rest, bound to its row.

In Python the value is the plain text (what a page shows, what the change log seals in
``sealed_changes``); in the database it is the codec's ciphertext (``identity.CODEC``),
under the data key of the record the row belongs to (``sync_parent()``) and bound to
``<table>:<row id>:<column>``. Encrypted when the row is saved (``pre_save``), decrypted when
first read on the instance (a stored value comes back marked ``Stored``). A value whose
record key was forgotten reads as empty.

``.values()``/``.values_list()`` give the stored form (``Stored``); ``open_stored`` opens
it for a given row. Filtering on such a column is meaningless and is not done.
"""

from __future__ import annotations

from django.db import models
from django.db.models.query_utils import DeferredAttribute


class Stored(str):
    """A column value as the database holds it (not yet decrypted)."""


def binding_of(instance, field):
    from . import identity

    parent = instance.sync_parent() if hasattr(instance, "sync_parent") else None
    return identity.Binding(instance._meta.db_table, instance.pk, field.column,
                            parent[1] if parent else None)


def open_stored(instance, field, value):
    from . import identity

    if not isinstance(value, Stored):
        return value
    if identity.is_opaque():
        return str(value)
    try:
        return identity.CODEC.open_text(str(value), binding_of(instance, field))
    except identity.RecordKeyForgotten:
        return ""


class _SealedAttribute(DeferredAttribute):
    """A data descriptor (it has ``__set__``), so that reads go through ``__get__`` even
    when the instance holds the value."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Stored):
            value = open_stored(instance, self.field, value)
            from . import identity

            if not identity.is_opaque():
                instance.__dict__[self.field.attname] = value
        return value


class SealedTextField(models.TextField):
    descriptor_class = _SealedAttribute

    def from_db_value(self, value, expression, connection):
        return Stored(value) if value else value

    def pre_save(self, model_instance, add):
        from . import identity

        value = getattr(model_instance, self.attname)
        if isinstance(value, Stored) or not value:
            return str(value) if value is not None else value
        return identity.CODEC.seal_text(str(value), binding_of(model_instance, self))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "yiri.cases.sealed.SealedTextField", args, kwargs
