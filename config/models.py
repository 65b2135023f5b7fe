"""Model building blocks shared by every app."""

from django.db import models


class UpdatedAtField(models.DateTimeField):
    """`auto_now`, except that a new row takes its `created_at` to the microsecond.

    Two separate clock reads would otherwise make a fresh record look edited once.
    """

    def __init__(self, *args, **kwargs):
        kwargs["auto_now"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        del kwargs["auto_now"]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        created_at = getattr(model_instance, "created_at", None)
        if add and created_at is not None:
            setattr(model_instance, self.attname, created_at)
            return created_at
        return super().pre_save(model_instance, add)


class TimeStampedModel(models.Model):
    """`created_at` and `updated_at`, timezone-aware and stored in UTC."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = UpdatedAtField()

    class Meta:
        abstract = True
