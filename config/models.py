"""Model building blocks shared by every app."""

from django.db import models


class TimeStampedModel(models.Model):
    """`created_at` and `updated_at`, timezone-aware and stored in UTC."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
