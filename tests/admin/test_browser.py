"""The admin in a real browser: log in, search, filter, open a customer, export (SPEC 7).

Playwright drives the system's Chromium (Debian's `chromium` package; `.ci/install-browser`
installs it) against pytest-django's live server. Without that browser, or without the
`playwright` package, the test is skipped and says why.
"""

import os
from pathlib import Path

import pytest

from customers import exporting
from customers.models import Customer, Store
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories.customers import AddressFactory, CustomerFactory, StoreFactory

STAFF_PASSWORD = "a-long-staff-password"

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the browser test needs the playwright package (requirements-dev.txt)",
)
pytestmark = [
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"the browser test needs Chromium at {CHROMIUM}: run .ci/install-browser",
    ),
    # The live server answers from another thread (another connection on PostgreSQL): the
    # rows are committed, and the migrations' rows (the default store) are put back for
    # the transactional tests that follow (tests/admin/conftest.py).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def rows_of(page) -> list[str]:
    """The references in the grid, in display order."""
    return page.locator("#result_list tbody th.field-reference a").all_inner_texts()


@pytest.fixture
def shop(django_user_model):
    # Everything the database has to hold is written before the browser starts: Playwright's
    # event loop then runs in this thread, where Django refuses synchronous queries.
    django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password=STAFF_PASSWORD
    )
    store = Store.objects.get(code="DE")
    anna = CustomerFactory(
        store=store,
        reference="DE--1",
        email="anna.berg@example.com",
        first_name="Anna",
        last_name="Berg",
    )
    AddressFactory(
        customer=anna,
        label="Home",
        address1="Main Street 1",
        postcode="10115",
        city="Berlin",
        country="DE",
        is_default_shipping=True,
        is_default_billing=True,
    )
    CustomerFactory(
        store=store,
        reference="DE--2",
        email="ben.kurz@example.com",
        first_name="Ben",
        last_name="Kurz",
        state=Customer.State.DISABLED,
    )
    # As long as references, emails and names get: the grid must still fit 1366 px.
    CustomerFactory(
        store=store,
        reference="DE--1000000",
        email="maximiliane.hohenzollern-sigmaringen.1000000@example.com",
        first_name="Maximiliane-Charlotte",
        last_name="Hohenzollern-Sigmaringen",
    )
    CustomerFactory(
        store=StoreFactory(code="AT", name="Austria"),
        reference="AT--1",
        email="max.huber@example.com",
        first_name="Max",
        last_name="Huber",
    )
    return anna


def test_staff_member_logs_in_searches_filters_opens_and_exports(live_server, shop, tmp_path):
    # given
    columns = [name for name in exporting.CSV_COLUMNS if name != "password_hash"]

    # when
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(15_000)
            script_errors = []
            page.on("pageerror", lambda error: script_errors.append(str(error)))

            page.goto(f"{live_server.url}/admin/login/?next=/admin/customers/customer/")
            page.fill("#id_username", "staff")
            page.fill("#id_password", STAFF_PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/customers/customer/")
            title = page.title()
            header = page.inner_text("#site-name")
            everyone = rows_of(page)
            # Every column in view: the table ends before the filters, nothing scrolls.
            grid_fits = page.evaluate(
                """() => {
                    const table = document.querySelector('#result_list');
                    const results = table.closest('.results');
                    const filters = document.querySelector('#changelist-filter');
                    return table.getBoundingClientRect().right
                            <= filters.getBoundingClientRect().left
                        && results.scrollWidth <= results.clientWidth
                        && document.documentElement.scrollWidth <= window.innerWidth;
                }"""
            )

            page.fill("#searchbar", "berg")
            page.press("#searchbar", "Enter")
            page.wait_for_url("**/admin/customers/customer/?q=berg")
            searched = rows_of(page)

            page.fill("#searchbar", "")
            page.press("#searchbar", "Enter")
            page.wait_for_url("**/admin/customers/customer/?q=")
            page.click(
                '#changelist-filter details[data-filter-title="state"] a:text-is("Disabled")'
            )
            page.wait_for_url("**/admin/customers/customer/?*state__exact=disabled*")
            filtered = rows_of(page)

            page.goto(f"{live_server.url}/admin/customers/customer/")
            page.click('#result_list a:text-is("DE--1")')
            page.wait_for_url(f"**/admin/customers/customer/{shop.pk}/change/*")
            opened = page.inner_text("#content h2")
            address_title = page.inner_text("#addresses-0 .inline_label")
            # The address inline's own template still works with the admin's inlines.js.
            page.click("#addresses-group .add-row a")
            new_address_title = page.inner_text("#addresses-1 .inline_label")

            page.goto(f"{live_server.url}/admin/customers/customer/")
            page.check(f'input.action-select[value="{shop.pk}"]')
            page.select_option("select[name=action]", "export_csv")
            with page.expect_download() as download_info:
                page.click("button[name=index]")
            download = download_info.value
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
        finally:
            browser.close()

    # then
    assert (title, header) == ("Select customer to change | Clientele admin", "Clientele")
    assert everyone == ["AT--1", "DE--1000000", "DE--2", "DE--1"]
    assert grid_fits is True
    assert searched == ["DE--1"]
    assert filtered == ["DE--2"]
    assert opened == "DE--1"
    assert address_title == (
        "Home: Main Street 1, 10115 Berlin, Germany (default shipping and billing)"
    )
    assert new_address_title == "#2"
    assert script_errors == []
    assert saved.name.startswith("customers-")
    lines = Path(saved).read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(columns)
    assert [line.split(",")[0] for line in lines[1:]] == ["DE--1"]
