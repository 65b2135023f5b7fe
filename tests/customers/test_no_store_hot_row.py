"""No store-wide row lock: writes in a store go on while an import batch is open (SPEC 11).

An import batch of 5,000 rows is inserted in one transaction on a second connection and kept
open; meanwhile a Storefront registration and an Admin API create in the same store must
complete within a second, with unique references, and the list total must be exact after
the batch commits or rolls back.
"""

import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from accounts.tokens import StaffRefreshToken
from customers.models import Customer, Store
from customers.services import customer_groups_known, customer_row_build, customers_rows_insert
from tests.admin_api.conftest import bearer_client
from tests.storefront.conftest import JsonApiClient

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BATCH = 5_000
PASSWORD = "Blue-Harbour-42"


class OpenBatch:
    """An import batch of `BATCH` rows inserted on its own connection and left uncommitted."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.inserted = threading.Event()
        self.finish = threading.Event()
        self.commit = False
        self.error: BaseException | None = None
        self.references: list[str] = []
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            group_ids = customer_groups_known()
            rows = [
                customer_row_build(group_ids=group_ids, email=f"import{n}@example.com")
                for n in range(BATCH)
            ]
            with transaction.atomic():
                customers_rows_insert(store=self.store, rows=rows)
                self.references = [row.reference for row in rows]
                self.inserted.set()
                assert self.finish.wait(timeout=15)
                transaction.set_rollback(not self.commit)
        except BaseException as error:  # reported to the test thread
            self.error = error
            self.inserted.set()
        finally:
            connection.close()

    def __enter__(self) -> "OpenBatch":
        self.thread.start()
        assert self.inserted.wait(timeout=120)
        assert self.error is None, self.error
        return self

    def end(self, *, commit: bool) -> None:
        self.commit = commit
        self.finish.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()
        assert self.error is None, self.error

    def __exit__(self, *exc_info) -> None:
        if self.thread.is_alive():
            self.end(commit=False)


@pytest.fixture
def staff_client():
    staff = User.objects.create_user(username="staff", password=PASSWORD, is_superuser=True)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return bearer_client(str(StaffRefreshToken.for_user(staff).access_token))


def register(email: str):
    return JsonApiClient().send(
        "post",
        "/customers",
        "customers",
        {
            "salutation": "Ms",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": email,
            "password": PASSWORD,
            "confirmPassword": PASSWORD,
            "acceptedTerms": True,
        },
    )


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def list_total(client) -> int:
    response = client.get("/api/customers", {"store": "DE"})
    assert response.status_code == 200
    return response.json()["meta"]["total"]


@pytest.mark.parametrize("commit", [True, False], ids=["commit_case", "rollback_case"])
def test_writes_complete_while_an_import_batch_is_open(store, staff_client, commit):
    # given
    existing = Customer.objects.create(store=store, reference="DE--0", email="old@example.com")
    assert list_total(staff_client) == 1

    with OpenBatch(store) as batch:
        # when: both writes run while the 5,000 rows are inserted and uncommitted
        registered, registration_time = timed(lambda: register("ada@example.com"))
        created, create_time = timed(
            lambda: staff_client.post(
                "/api/customers",
                {"email": "grace@example.com", "password": PASSWORD, "full_name": "Grace H"},
                format="json",
            )
        )
        during = list_total(staff_client)
        batch.end(commit=commit)

    # then
    assert (registered.status_code, created.status_code) == (201, 201)
    assert registration_time < 1.0
    assert create_time < 1.0
    assert during == 3
    references = dict(
        Customer.objects.filter(email__in=["ada@example.com", "grace@example.com"]).values_list(
            "email", "reference"
        )
    )
    assert len(batch.references) == BATCH
    assert len(set(batch.references) | set(references.values()) | {"DE--0"}) == BATCH + 3
    # The batch took its numbers before the other two writers took theirs.
    assert sorted(references.values()) == [f"DE--{BATCH + 1}", f"DE--{BATCH + 2}"]
    imported = Customer.objects.filter(reference__in=batch.references).count()
    assert imported == (BATCH if commit else 0)
    assert list_total(staff_client) == Customer.objects.filter(store=store).count()
    assert list_total(staff_client) == (BATCH + 3 if commit else 3)
    assert Customer.objects.filter(pk=existing.pk).exists()
