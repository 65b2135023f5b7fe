"""An index for the admin grid's "email verified" filter (SPEC 11: every filter <= 250 ms).

Without it, the side of the filter that few customers are on (no one verified yet after an
import, or the few unverified ones later) is found by reading the whole table: 150-400 ms
at a million customers. Built with CREATE INDEX CONCURRENTLY on PostgreSQL, so that a big
table keeps taking writes while it is built; other databases get a plain index.
"""

from django.db import migrations, models

from customers.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("customers", "0010_fewer_justified_indexes")]

    operations = [
        AddIndexWithoutLocking(
            model_name="customer",
            index=models.Index(fields=["email_verified_at"], name="customers_customer_verify_idx"),
        ),
    ]
