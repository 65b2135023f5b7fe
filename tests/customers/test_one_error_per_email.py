"""A refused email is one error, not also the model's "cannot be blank" (single and bulk path)."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import (
    BulkMode,
    BulkStatus,
    customer_bulk_upsert,
    customer_create,
    customer_update,
)

REFUSED = [
    pytest.param('"x"@example.com', "email_quoted_local_part", id="quoted_case"),
    pytest.param("x\u200b@example.com", "email_invisible_characters", id="invisible_case"),
    pytest.param("", "invalid", id="empty_case"),
    pytest.param("   ", "invalid", id="blank_case"),
    pytest.param(None, "invalid", id="null_case"),
    pytest.param(42, "invalid", id="number_case"),
    pytest.param("a\x00@example.com", "null_characters_not_allowed", id="nul_case"),
]


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.error_dict.items()}


@pytest.mark.parametrize(("email", "code"), REFUSED)
def test_the_single_path_reports_one_error(store, email, code):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email=email)

    # then
    assert codes(error.value) == {"email": [code]}
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("email", "code"), REFUSED)
def test_an_update_reports_one_error(customer, email, code):
    # when
    with pytest.raises(ValidationError) as error:
        customer_update(customer=customer, email=email)

    # then
    assert codes(error.value) == {"email": [code]}
    assert Customer.objects.get(pk=customer.pk).email == "john.smith@example.com"


@pytest.mark.parametrize(("email", "code"), REFUSED)
def test_the_bulk_path_reports_one_error(store, email, code):
    # when
    results = customer_bulk_upsert(
        store=store,
        rows=[{"email": email, "first_name": "Anne"}, {"email": "ok@example.com"}],
        mode=BulkMode.CREATE,
        all_or_nothing=True,
    )

    # then
    assert [result.status for result in results] == [BulkStatus.ERROR, BulkStatus.NOT_WRITTEN]
    assert [codes(error) for error in results[0].errors] == [{"email": [code]}]
    assert Customer.objects.count() == 0
