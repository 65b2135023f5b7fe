"""The customer's addresses, edited inline on the customer page (SPEC 7).

The inline only collects input: `CustomerAdmin.save_formset` hands every change to
`addresses.services`, where the default-address rules live. Each address is titled by its
summary (the model's `__str__` is its uuid, which is what logs may show, not staff).
"""

from django import forms
from django.contrib import admin

from addresses.models import Address

INLINE_FIELDS = (
    ("label", "salutation"),
    ("first_name", "last_name", "company"),
    "address1",
    "address2",
    "address3",
    ("postcode", "city"),
    ("province", "province_code"),
    "country",
    ("phone", "email"),
    ("is_default_shipping", "is_default_billing"),
)
ADDRESS_LABELS = {
    "label": "Address name",
    "address1": "Address line 1",
    "address2": "Address line 2",
    "address3": "Address line 3",
    "postcode": "Postcode",
    "province_code": "Province code",
    "is_default_shipping": "Default shipping address",
    "is_default_billing": "Default billing address",
}


def address_summary(address: Address) -> str:
    """One line naming an address for staff: `Home: Main Street 1, 10115 Berlin, Germany`."""
    place = " ".join(part for part in (address.postcode, address.city) if part)
    country = address.country.name if address.country else ""
    text = ", ".join(part for part in (address.address1, place, str(country)) if part)
    if address.label:
        text = f"{address.label}: {text}" if text else address.label
    defaults = [
        kind
        for kind, flag in (
            ("shipping", address.is_default_shipping),
            ("billing", address.is_default_billing),
        )
        if flag
    ]
    if defaults:
        text += f" (default {' and '.join(defaults)})"
    return text or "(blank address)"


class AddressInlineForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = tuple(
            name
            for entry in INLINE_FIELDS
            for name in (entry if isinstance(entry, tuple) else (entry,))
        )
        labels = ADDRESS_LABELS

    @property
    def summary(self) -> str:
        return address_summary(self.instance)

    def _post_clean(self) -> None:
        # No model validation here: `addresses.services` applies the field rules and the
        # default-address rules when the customer admin saves (a second address marked as
        # default is legal input; the model's one-default constraint would refuse it here).
        pass


class AddressInline(admin.StackedInline):
    model = Address
    form = AddressInlineForm
    template = "admin/addresses/address/inline.html"
    fk_name = "customer"
    extra = 0
    fields = (*INLINE_FIELDS, "address_uuid", ("created_at", "updated_at"))
    readonly_fields = ("address_uuid", "created_at", "updated_at")
    ordering = ("id",)
    show_change_link = False

    @admin.display(description="UUID")
    def address_uuid(self, obj: Address) -> str:
        # A new, unsaved address holds a random uuid the service will not use.
        return str(obj.uuid) if obj.pk else "-"
