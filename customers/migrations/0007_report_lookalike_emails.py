"""Stored emails take their normal form (customers/emails.py); look-alikes are reported.

An email whose normal form already belongs to another live customer of the same store (a
fullwidth domain beside the ASCII one, say) is left as it is and reported on the
`customers.migrations` logger with both customers' ids, instead of failing the migration on
the uniqueness constraint: staff decide which account to keep. An email that has no normal
form (a quoted local part, an invisible character) is left as it is and reported too.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import migrations
from django.db.models.functions import Lower

from customers.emails import normalise_email

logger = logging.getLogger("customers.migrations")
BATCH = 2000


def normalise_stored_emails(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    alias = schema_editor.connection.alias
    customers = Customer.objects.using(alias)
    changes = []
    for pk, store_id, email, deleted_at in (
        customers.order_by("pk").values_list("pk", "store_id", "email", "deleted_at").iterator()
    ):
        try:
            normal = normalise_email(email)
        except ValidationError:
            logger.warning("Customer %s: the stored email has no normal form; left as it is", pk)
            continue
        if normal != email:
            changes.append((pk, store_id, normal, deleted_at is None))

    claimed: dict[tuple[int, str], int] = {}
    updates = []
    for pk, store_id, normal, live in changes:
        if live:
            key = (store_id, normal.lower())
            holder = claimed.get(key) or (
                customers.filter(store_id=store_id, deleted_at__isnull=True)
                .exclude(pk=pk)
                .annotate(email_lower=Lower("email"))
                .filter(email_lower=normal.lower())
                .values_list("pk", flat=True)
                .first()
            )
            if holder is not None:
                logger.warning(
                    "Customer %s: the stored email is a look-alike of customer %s's; left as it is",
                    pk,
                    holder,
                )
                continue
            claimed[key] = pk
        updates.append(Customer(pk=pk, email=normal))
    customers.bulk_update(updates, ["email"], batch_size=BATCH)
    if updates:
        logger.info("Normalised the stored email of %d customers", len(updates))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_customer_live_id_index"),
    ]

    operations = [
        migrations.RunPython(normalise_stored_emails, migrations.RunPython.noop, elidable=True),
    ]
