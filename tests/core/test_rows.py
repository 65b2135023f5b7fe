"""`config.rows.RowReader` builds the instance the ORM would, field by field (both databases)."""

import pytest
from django.db import connection

from config.rows import RowReader
from customers.models import Customer
from tests.factories.customers import CustomerFactory


@pytest.mark.django_db
def test_a_row_of_written_sql_reads_as_the_orm_reads_it(store):
    # given: a customer with every kind of column filled (uuid, dates, phones, JSON, flags)
    made = CustomerFactory(
        store=store,
        phone="+49301234567",
        mobile="+491701234567",
        date_of_birth="1985-03-14",
        tax_exemptions=["GST"],
        attribute_groups={"loyalty": {"attributes": {}}},
        accepts_marketing=True,
    )
    reader = RowReader(Customer)

    # when
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {reader.columns("c")} FROM "customers_customer" c WHERE c.id = %s', [made.pk]
        )
        read = reader.instance(cursor.fetchone(), connection.alias)

    # then
    expected = Customer.objects.get(pk=made.pk)
    for field in Customer._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    assert read.phone.as_e164 == "+49301234567"
    assert read._state.db == connection.alias
    assert not read._state.adding
