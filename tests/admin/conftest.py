"""Helpers for the Django admin smoke tests (SPEC 7)."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from customers.models import Customer

CHANGELIST_URL = "/admin/customers/customer/"
ADD_URL = "/admin/customers/customer/add/"


def change_url(customer: Customer) -> str:
    return f"/admin/customers/customer/{customer.pk}/change/"


def management_form(total: int = 0, initial: int = 0) -> dict:
    return {
        "addresses-TOTAL_FORMS": str(total),
        "addresses-INITIAL_FORMS": str(initial),
        "addresses-MIN_NUM_FORMS": "0",
        "addresses-MAX_NUM_FORMS": "1000",
    }


def customer_form(**overrides) -> dict:
    """A complete customer add/change form submission with no addresses."""
    data = {
        "store": "",
        "email": "",
        "state": "invited",
        "group": "1",
        "salutation": "",
        "first_name": "",
        "last_name": "",
        "gender": "",
        "date_of_birth": "",
        "phone": "",
        "mobile": "",
        "marketing_optin_level": "",
        "tax_exemptions": "",
        "email_verified_at_0": "",
        "email_verified_at_1": "",
        **management_form(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def form_of(customer: Customer, **overrides) -> dict:
    """The change form of `customer` as the browser would submit it unchanged."""
    data = customer_form(
        email=customer.email,
        state=customer.state,
        group=str(customer.group_id),
        salutation=customer.salutation,
        first_name=customer.first_name,
        last_name=customer.last_name,
        gender=customer.gender or "",
        date_of_birth=customer.date_of_birth.isoformat() if customer.date_of_birth else "",
        phone=customer.phone.as_e164 if customer.phone else "",
        mobile=customer.mobile.as_e164 if customer.mobile else "",
        marketing_optin_level=customer.marketing_optin_level or "",
        tax_exemptions="\n".join(customer.tax_exemptions),
        store=None,
    )
    if customer.accepts_marketing:
        data["accepts_marketing"] = "on"
    if customer.tax_exempt:
        data["tax_exempt"] = "on"
    if customer.email_verified_at:
        data["email_verified_at_0"] = customer.email_verified_at.strftime("%Y-%m-%d")
        data["email_verified_at_1"] = customer.email_verified_at.strftime("%H:%M:%S")
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def action(name: str, *customers: Customer) -> dict:
    return {
        "action": name,
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(customer.pk) for customer in customers],
    }
