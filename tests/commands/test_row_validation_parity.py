"""The import's fast row validation must judge every row exactly as `customer_build` does."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from customers.models import CustomerGroup
from customers.services import customer_build, customer_groups_known, customer_row_build

VALID = {
    "email": "Anna@Example.COM",
    "first_name": "Anna",
    "last_name": "Schmidt",
    "salutation": "Ms",
    "gender": "Female",
    "date_of_birth": date(1985, 4, 12),
    "phone": "+49 30 1234567",
    "mobile": "+49 151 12345678",
    "state": "enabled",
    "group_id": 1,
    "accepts_marketing": True,
    "marketing_optin_level": "single_opt_in",
    "tax_exempt": True,
    "tax_exemptions": ["VAT"],
    "attribute_groups": {
        "erp": {"attributes": {"tier": {"attribute_value": "3", "value_type": "INTEGER"}}}
    },
    "password_hash": "pbkdf2_sha256$600000$salt$" + "A" * 43 + "=",
    "reference": "ERP-1",
    "addresses": [
        {"address1": "Hauptstraße 1", "city": "Berlin", "country": "Germany", "company": "ACME"},
        {"address1": "Nebenweg 2", "city": "Wien", "country": "AT"},
    ],
}


def errors_of(build, **arguments):
    try:
        build(**arguments)
    except ValidationError as error:
        return {
            name: sorted((item.code, str(item.message % (item.params or {}))) for item in items)
            for name, items in error.error_dict.items()
        }
    return None


def missing_group_id():
    return (CustomerGroup.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


CASES = {
    "missing_email_case": {"email": None},
    "bad_email_case": {"email": "not-an-email"},
    "long_email_case": {"email": "a" * 250 + "@example.com"},
    "long_first_name_case": {"first_name": "x" * 101},
    "bad_salutation_case": {"salutation": "Sir"},
    "bad_gender_case": {"gender": "Other"},
    "bad_state_case": {"state": "frozen"},
    "bad_optin_case": {"marketing_optin_level": "loud"},
    "bad_phone_case": {"phone": "12"},
    "bad_mobile_case": {"mobile": "+49 151"},
    "future_birth_case": {"date_of_birth": timezone.now().date() + timedelta(days=1)},
    "missing_group_case": {"group_id": "missing"},
    "bad_reference_case": {"reference": "bad ref!"},
    "long_reference_case": {"reference": "r" * 65},
    "unknown_hash_case": {"password_hash": "md6$salt$abc"},
    "bad_tax_exemptions_case": {"tax_exemptions": "VAT"},
    "bad_attributes_case": {
        "attribute_groups": {
            "erp": {"attributes": {"tier": {"attribute_value": "x", "value_type": "INTEGER"}}}
        }
    },
    "address_without_street_case": {"addresses": [{"city": "Berlin", "country": "DE"}]},
    "address_without_city_case": {"addresses": [{"address1": "A 1", "country": "DE"}]},
    "address_without_country_case": {"addresses": [{"address1": "A 1", "city": "B"}]},
    "address_blank_street_case": {"addresses": [{"address1": "  ", "city": "B", "country": "DE"}]},
    "address_unknown_country_case": {
        "addresses": [{"address1": "A 1", "city": "B", "country": "Narnia"}]
    },
    "address_long_company_case": {
        "addresses": [{"address1": "A 1", "city": "B", "country": "DE", "company": "c" * 101}]
    },
    "address_bad_salutation_case": {
        "addresses": [{"address1": "A 1", "city": "B", "country": "DE", "salutation": "Sir"}]
    },
    "many_problems_case": {"email": "nope", "gender": "x", "phone": "1", "reference": "a b"},
}


@pytest.mark.parametrize("changes", CASES.values(), ids=CASES.keys())
def test_fast_row_validation_reports_what_customer_build_reports(store, changes):
    # given
    arguments = {**VALID, **changes}
    if arguments["email"] is None:
        del arguments["email"]
    if arguments["group_id"] == "missing":
        arguments["group_id"] = missing_group_id()

    # when
    expected = errors_of(customer_build, store=store, **arguments)
    actual = errors_of(customer_row_build, group_ids=customer_groups_known(), **arguments)

    # then
    assert expected is not None
    assert actual == expected


def test_fast_row_validation_normalises_what_customer_build_normalises(store):
    # given
    draft = customer_build(store=store, **VALID)

    # when
    row = customer_row_build(group_ids=customer_groups_known(), **VALID)

    # then
    customer = draft.customer
    for name, value in row.values.items():
        if name in ("marketing_preferences_updated_at",):
            continue
        expected = getattr(customer, name)
        if name in ("phone", "mobile"):
            expected = expected.as_e164
        assert value == expected, name
    assert [
        {name: address.get(name, "") for name in ("address1", "city", "country", "company")}
        | {"defaults": (address["is_default_shipping"], address["is_default_billing"])}
        for address in row.addresses
    ] == [
        {
            "address1": a.address1,
            "city": a.city,
            "country": a.country.code,
            "company": a.company,
            "defaults": (a.is_default_shipping, a.is_default_billing),
        }
        for a in draft.addresses
    ]
