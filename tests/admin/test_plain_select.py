"""The customer page's country lists are written in Python, exactly as Django writes them."""

import pytest
from django import forms

from addresses.admin import AddressInlineForm
from customers.admin import PlainSelect
from tests.admin.conftest import change_url
from tests.factories.customers import AddressFactory


@pytest.mark.parametrize("value", ["DE", "", None, "XX"])
def test_country_list_is_the_html_django_writes(value):
    # given
    field = AddressInlineForm().fields["country"]
    plain = PlainSelect(attrs=field.widget.attrs, choices=field.choices)

    # when
    written = plain.render("addresses-0-country", value, {"id": "id_addresses-0-country"})

    # then
    assert written == field.widget.render(
        "addresses-0-country", value, {"id": "id_addresses-0-country"}
    )


def test_groups_attributes_and_escaping_are_written_as_django_writes_them():
    # given
    choices = [("Group <1>", [("1", "<b>one</b>"), ("2", "two")]), ("3", 'th"ree')]
    attrs = {"required": True, "disabled": False, "data-note": '"quoted" & <tagged>'}
    django_select = forms.Select(attrs=attrs, choices=choices)

    # when
    written = PlainSelect(attrs=attrs, choices=choices).render("pick", "2")

    # then
    assert written == django_select.render("pick", "2")
    assert "&lt;b&gt;one&lt;/b&gt;" in written


def test_change_page_uses_the_plain_country_list(admin_client, customer):
    # given
    AddressFactory(customer=customer, country="AT")

    # when
    response = admin_client.get(change_url(customer))

    # then
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert isinstance(formset.forms[0].fields["country"].widget, PlainSelect)
    assert isinstance(formset.empty_form.fields["country"].widget, PlainSelect)
    assert '<option value="AT" selected>Austria</option>' in response.content.decode()
