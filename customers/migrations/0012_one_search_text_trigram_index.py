"""`keyword` search reads one search text with one trigram index, instead of four.

The name, email, phone and reference had a trigram index each, and every new customer wrote
all four: about 40 µs of PostgreSQL's work per imported row. One index on the search text
(`customers.models.SEARCH_TEXT`) serves the same searches. It is built before the four are
dropped, both concurrently, so search keeps an index and the table keeps taking writes.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

from customers.migration_operations import AddIndexWithoutLocking, RemoveIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("customers", "0011_customer_email_verified_index")]

    operations = [
        AddIndexWithoutLocking(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        models.Func(
                            models.Func(
                                models.F("first_name"),
                                models.F("last_name"),
                                arg_joiner=" || ' ' || ",
                                output_field=models.CharField(),
                                template="(%(expressions)s)",
                            ),
                            models.F("email"),
                            models.Func(
                                models.F("phone"), template="COALESCE(%(expressions)s, '')"
                            ),
                            models.F("reference"),
                            arg_joiner=" || '\x1f' || ",
                            output_field=models.TextField(),
                            template="(%(expressions)s)",
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="customers_customer_search_trgm",
            ),
        ),
        RemoveIndexWithoutLocking(model_name="customer", name="customers_customer_name_trgm"),
        RemoveIndexWithoutLocking(model_name="customer", name="customers_customer_email_trgm"),
        RemoveIndexWithoutLocking(model_name="customer", name="customers_customer_phone_trgm"),
        RemoveIndexWithoutLocking(model_name="customer", name="customers_customer_ref_trgm"),
    ]
