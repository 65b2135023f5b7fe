"""The customer grid: search, filters, columns and query counts (SPEC 7)."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from tests.admin.conftest import CHANGELIST_URL
from tests.factories.customers import CustomerFactory, CustomerGroupFactory, StoreFactory


def listed(response) -> list[str]:
    """References on the changelist page, in display order."""
    return [customer.reference for customer in response.context["cl"].result_list]


def test_changelist_lists_customers_newest_first(admin_client, customer, other_customer):
    # when
    response = admin_client.get(CHANGELIST_URL)

    # then
    assert response.status_code == 200
    assert listed(response) == [other_customer.reference, customer.reference]
    content = response.content.decode()
    assert "john.smith@example.com" in content
    assert "John Smith" in content


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("john smi", ["C--1"], id="name_substring_across_words_case"),
        pytest.param("SMITH@EXAMPLE", ["C--1"], id="email_substring_case"),
        pytest.param("c--2", ["C--2"], id="exact_reference_case_insensitive_case"),
        pytest.param("+49 (30) 123-4567", ["C--1"], id="phone_in_any_format_case"),
        pytest.param("+49 171 1234567", ["C--2"], id="mobile_in_any_format_case"),
        pytest.param("4567", ["C--1"], id="phone_digits_case"),
        pytest.param("jo", [], id="short_substring_matches_nothing_case"),
        pytest.param("nobody", [], id="no_match_case"),
        pytest.param("@example.com", ["C--2", "C--1"], id="newest_first_case"),
    ],
)
def test_changelist_search(admin_client, store, term, expected):
    # given
    CustomerFactory(
        store=store,
        reference="C--1",
        email="john.smith@example.com",
        first_name="John",
        last_name="Smith",
        phone="+49301234567",
    )
    CustomerFactory(
        store=store,
        reference="C--2",
        email="jane.doe@example.com",
        first_name="Jane",
        last_name="Doe",
        mobile="+491711234567",
    )

    # when
    response = admin_client.get(CHANGELIST_URL, {"q": term})

    # then
    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, ["C--4", "C--3", "C--2", "C--1"], id="all_including_deleted_case"),
        pytest.param({"deleted": "no"}, ["C--3", "C--2", "C--1"], id="live_only_case"),
        pytest.param({"deleted": "yes"}, ["C--4"], id="deleted_only_case"),
        pytest.param({"state": "disabled"}, ["C--2"], id="state_case"),
        pytest.param({"email_verified": "no"}, ["C--3"], id="email_not_verified_case"),
        pytest.param({"accepts_marketing__exact": "1"}, ["C--1"], id="marketing_case"),
    ],
)
def test_changelist_filters(admin_client, store, params, expected):
    # given
    CustomerFactory(store=store, reference="C--1", accepts_marketing=True)
    CustomerFactory(store=store, reference="C--2", state=Customer.State.DISABLED)
    CustomerFactory(store=store, reference="C--3", email_verified_at=None)
    CustomerFactory(store=store, reference="C--4", deleted_at=timezone.now())

    # when
    response = admin_client.get(CHANGELIST_URL, params)

    # then
    assert response.status_code == 200
    assert listed(response) == expected


def test_changelist_filters_by_store_and_group(admin_client, store, other_store):
    # given
    group = CustomerGroupFactory(name="Wholesale")
    CustomerFactory(store=store, reference="C--1")
    CustomerFactory(store=other_store, reference="C--2")
    CustomerFactory(store=other_store, reference="C--3", group=group)

    # when
    by_store = admin_client.get(CHANGELIST_URL, {"store": str(other_store.pk)})
    by_group = admin_client.get(CHANGELIST_URL, {"group__id__exact": str(group.pk)})

    # then
    assert listed(by_store) == ["C--3", "C--2"]
    assert listed(by_group) == ["C--3"]


def test_changelist_of_store_limited_staff_shows_only_its_stores(
    client, django_user_model, store, other_store
):
    # given
    staff = django_user_model.objects.create_user(
        username="limited", password="a-long-staff-password", is_staff=True
    )
    staff.user_permissions.set(Permission.objects.filter(codename="view_customer"))
    other_store.staff.add(staff)
    CustomerFactory(store=store, reference="C--1")
    CustomerFactory(store=other_store, reference="C--2")
    client.force_login(staff)

    # when
    response = client.get(CHANGELIST_URL)

    # then
    assert response.status_code == 200
    assert listed(response) == ["C--2"]


def _changelist_queries(admin_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_rows(admin_client, store):
    # given
    CustomerFactory(store=store)
    one_row = _changelist_queries(admin_client)
    for index in range(10):
        group = CustomerGroupFactory()
        CustomerFactory(store=StoreFactory(code=f"X{index}"), group=group)

    # when
    eleven_rows = _changelist_queries(admin_client)

    # then
    assert eleven_rows == one_row


def test_changelist_offers_no_facet_counts(admin_client, customer):
    # when: facet counts would count the whole table once per filter choice
    response = admin_client.get(CHANGELIST_URL, {"_facets": "True"})

    # then
    assert response.status_code == 200
    assert response.context["cl"].add_facets is False
    assert "Show counts" not in response.content.decode()


def test_changelist_counts_rows_exactly_on_small_tables(admin_client, store):
    # given
    for _ in range(3):
        CustomerFactory(store=store)

    # when
    response = admin_client.get(CHANGELIST_URL)

    # then
    assert response.context["cl"].result_count == 3
    assert response.context["cl"].full_result_count is None


def test_admin_carries_the_product_name(admin_client):
    # when
    response = admin_client.get("/admin/")

    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Customers, credentials and staff | Clientele admin</title>" in content
    assert '<div id="site-name"><a href="/admin/">Clientele</a></div>' in content
    assert "Django administration" not in content


def test_index_lists_customers_first_and_credentials_apart(admin_client):
    # when
    response = admin_client.get("/admin/")

    # then
    sections = [
        (app["name"], [model["object_name"] for model in app["models"]])
        for app in response.context["app_list"]
    ]
    assert sections == [
        ("Customers", ["Customer", "Store", "CustomerGroup"]),
        (
            "Customer credentials (read-only)",
            ["CustomerKey", "CustomerRefreshToken", "CustomerSession"],
        ),
        ("Staff", ["User", "Group"]),
        ("Staff API tokens (read-only)", ["OutstandingToken", "BlacklistedToken"]),
        ("Background tasks", ["DBTaskResult"]),
        ("Events and webhooks", ["Delivery", "Subscription"]),
    ]
    credentials = [
        model
        for app in response.context["app_list"]
        if app["name"].endswith("(read-only)")
        for model in app["models"]
    ]
    assert [model["add_url"] for model in credentials] == [None] * 5
    assert [model["view_only"] for model in credentials] == [True] * 5


def test_grid_columns_are_compact_and_say_live_or_deleted(admin_client, store):
    # given
    live = CustomerFactory(store=store, reference="DE--1", email="live@example.com")
    gone = CustomerFactory(
        store=store,
        reference="DE--2",
        email="gone@example.com",
        deleted_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    CustomerFactory(
        store=store,
        reference="DE--3",
        email="anonymized-x@invalid",
        anonymized_at=datetime(2024, 4, 1, tzinfo=UTC),
    )
    Customer.objects.filter(pk=live.pk).update(created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    Customer.objects.filter(pk=gone.pk).update(created_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC))

    # when
    response = admin_client.get(CHANGELIST_URL)

    # then
    assert response.status_code == 200
    headers = [header["text"] for header in response.context["result_headers"]][1:]
    assert headers == [
        "reference",
        "email",
        "full name",
        "store",
        "state",
        "group",
        "created",
        "status",
    ]
    content = response.content.decode()
    assert (
        '<td class="field-created"><time datetime="2024-01-02T03:04:05+00:00" '
        'title="2024-01-02 03:04:05 UTC">2024-01-02</time></td>'
    ) in content
    assert (
        '<td class="field-created"><time datetime="2024-02-03T04:05:06+00:00" '
        'title="2024-02-03 04:05:06 UTC">2024-02-03</time></td>'
    ) in content
    assert '<td class="field-status">Live</td>' in content
    assert '<td class="field-status">Anonymized</td>' in content
    assert (
        '<td class="field-status"><span class="customer-status-deleted">Deleted</span></td>'
        in content
    )
    assert "icon-no.svg" not in content


@pytest.mark.parametrize(
    ("term", "hinted"),
    [
        pytest.param("jo", True, id="two_characters_case"),
        pytest.param(" j ", True, id="one_character_with_spaces_case"),
        pytest.param("joh", False, id="three_characters_case"),
        pytest.param("", False, id="no_search_case"),
    ],
)
def test_short_search_says_why_it_found_little(admin_client, customer, term, hinted):
    # when
    response = admin_client.get(CHANGELIST_URL, {"q": term})

    # then
    assert response.status_code == 200
    shown = term.strip()
    hint = (
        f'<p id="searchbar_hint" role="status">\u201c{shown}\u201d is shorter than 3 '
        "characters, so it only matched an exact reference or email. Type at least 3 "
        "characters to search names, emails, phones and references.</p>"
    )
    assert (hint in response.content.decode()) is hinted
    assert ('id="searchbar_hint"' in response.content.decode()) is hinted


@pytest.mark.parametrize(
    ("app_label", "heading", "models"),
    [
        pytest.param(
            "customers", "Customers", ["Customer", "Store", "CustomerGroup"], id="customers_case"
        ),
        pytest.param(
            "accounts",
            "Customer credentials (read-only)",
            ["CustomerKey", "CustomerRefreshToken", "CustomerSession"],
            id="credentials_case",
        ),
    ],
)
def test_app_pages_keep_the_sections(admin_client, app_label, heading, models):
    # when
    response = admin_client.get(f"/admin/{app_label}/")

    # then
    assert response.status_code == 200
    assert [
        (app["name"], [model["object_name"] for model in app["models"]])
        for app in response.context["app_list"]
    ] == [(heading, models)]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("030 1234567", ["DE--1"], id="de_national_phone_case"),
        pytest.param("(01) 512-3456", ["AT--1"], id="at_national_phone_case"),
        pytest.param("0664 1234567", ["AT--2"], id="at_national_mobile_case"),
        pytest.param("0049 30 1234567", ["DE--1"], id="international_prefix_in_de_case"),
        pytest.param("099 99", [], id="no_valid_number_case"),
    ],
)
def test_search_reads_national_numbers_in_the_stores_countries(
    admin_client, store, other_store, settings, term, expected
):
    # given
    settings.PHONENUMBER_DEFAULT_REGION = None
    CustomerFactory(store=store, reference="DE--1", phone="+49301234567")
    CustomerFactory(store=other_store, reference="AT--1", phone="+4315123456")
    CustomerFactory(store=other_store, reference="AT--2", mobile="+436641234567")

    # when
    response = admin_client.get(CHANGELIST_URL, {"q": term})

    # then
    assert response.status_code == 200
    assert listed(response) == expected
