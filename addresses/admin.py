"""The customer's addresses, edited inline on the customer page (SPEC 7).

The inline only collects input: `CustomerAdmin.save_formset` hands every change to
`addresses.services`, where the default-address rules live.
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


class AddressInlineForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = tuple(
            name
            for entry in INLINE_FIELDS
            for name in (entry if isinstance(entry, tuple) else (entry,))
        )

    def _post_clean(self) -> None:
        # No model validation here: `addresses.services` applies the field rules and the
        # default-address rules when the customer admin saves (a second address marked as
        # default is legal input; the model's one-default constraint would refuse it here).
        pass


class AddressInline(admin.StackedInline):
    model = Address
    form = AddressInlineForm
    fk_name = "customer"
    extra = 0
    fields = (*INLINE_FIELDS, "uuid", ("created_at", "updated_at"))
    readonly_fields = ("uuid", "created_at", "updated_at")
    ordering = ("id",)
    show_change_link = False
