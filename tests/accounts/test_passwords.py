"""Our Argon2id hasher: its cost from `ARGON2_*`, the OWASP floor, the upgrade on login."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from accounts.errors import InvalidCredentials
from accounts.passwords import ConfiguredArgon2PasswordHasher, argon2_parameters_check
from accounts.services import customer_login
from customers.models import Customer
from tests.storefront.conftest import JsonApiClient
from tests.storefront.test_access_tokens import login

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
# Production's order: our Argon2id first, the others only to verify imported hashes.
PRODUCTION_HASHERS = [
    "accounts.passwords.ConfiguredArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
]


def parameters(encoded: str) -> tuple[Type, int, int, int]:
    """(variant, memory KiB, iterations, lanes) of a Django `argon2$...` hash."""
    assert encoded.startswith("argon2$")
    found = extract_parameters(encoded.removeprefix("argon2"))
    return found.type, found.memory_cost, found.time_cost, found.parallelism


def test_the_default_cost_is_owasps_argon2id_minimum():
    # then: the environment of the test run sets no ARGON2_* variable
    assert not {name for name in os.environ if name.startswith("ARGON2_")}
    assert (
        settings.ARGON2_MEMORY_KIB,
        settings.ARGON2_TIME_COST,
        settings.ARGON2_PARALLELISM,
    ) == (19456, 2, 1)
    assert "accounts.passwords.ConfiguredArgon2PasswordHasher" in settings.PASSWORD_HASHERS
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" not in settings.PASSWORD_HASHERS


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_new_passwords_are_hashed_with_the_configured_parameters():
    # when
    default = make_password("Blue-Harbour-42")
    with override_settings(ARGON2_MEMORY_KIB=24576, ARGON2_TIME_COST=3, ARGON2_PARALLELISM=2):
        tuned = make_password("Blue-Harbour-42")

    # then
    assert parameters(default) == (Type.ID, 19456, 2, 1)
    assert parameters(tuned) == (Type.ID, 24576, 3, 2)
    assert check_password("Blue-Harbour-42", default)
    assert check_password("Blue-Harbour-42", tuned)
    assert not check_password("Blue-Harbour-43", default)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_hash_with_other_parameters_must_be_updated_and_ours_need_not():
    # given
    hasher = ConfiguredArgon2PasswordHasher()
    ours = make_password("Blue-Harbour-42")
    djangos = Argon2PasswordHasher().encode("Blue-Harbour-42", hasher.salt())

    # then
    assert hasher.must_update(ours) is False
    assert hasher.must_update(djangos) is True
    with override_settings(ARGON2_TIME_COST=3):
        assert hasher.must_update(ours) is True


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_login_upgrades_a_hash_made_with_djangos_default_parameters(store, customer):
    # given: a hash with Django's own Argon2 parameters (100 MiB, 8 lanes)
    old_hash = Argon2PasswordHasher().encode("Blue-Harbour-42", "c2FsdHNhbHRzYWx0c2FsdA")
    assert parameters(old_hash) == (Type.ID, 102400, 2, 8)
    Customer.objects.filter(pk=customer.pk).update(password=old_hash)

    # when
    logged_in = customer_login(store=store, email=customer.email, password="Blue-Harbour-42")

    # then
    stored = Customer.objects.get(pk=customer.pk).password
    assert logged_in.pk == customer.pk
    assert stored != old_hash
    assert parameters(stored) == (Type.ID, 19456, 2, 1)
    assert check_password("Blue-Harbour-42", stored)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_storefront_login_upgrades_the_stored_hash(customer):
    # given
    old_hash = Argon2PasswordHasher().encode("Blue-Harbour-42", "c2FsdHNhbHRzYWx0c2FsdA")
    Customer.objects.filter(pk=customer.pk).update(password=old_hash)

    # when
    response = login(JsonApiClient(), "john.smith@example.com", "Blue-Harbour-42")

    # then
    assert response.status_code == 201
    stored = Customer.objects.get(pk=customer.pk).password
    assert parameters(stored) == (Type.ID, 19456, 2, 1)
    assert check_password("Blue-Harbour-42", stored)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_failed_login_leaves_an_old_hash_alone(store, customer):
    # given
    old_hash = Argon2PasswordHasher().encode("Blue-Harbour-42", "c2FsdHNhbHRzYWx0c2FsdA")
    Customer.objects.filter(pk=customer.pk).update(password=old_hash)

    # when
    with pytest.raises(InvalidCredentials):
        customer_login(store=store, email=customer.email, password="Blue-Harbour-43")

    # then
    assert Customer.objects.get(pk=customer.pk).password == old_hash


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_login_keeps_a_hash_that_has_our_parameters(store, customer):
    # given
    current = make_password("Blue-Harbour-42")
    Customer.objects.filter(pk=customer.pk).update(password=current)

    # when
    customer_login(store=store, email=customer.email, password="Blue-Harbour-42")

    # then
    assert Customer.objects.get(pk=customer.pk).password == current


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "parallelism", "message"),
    [
        pytest.param(
            19455,
            2,
            1,
            "ARGON2_MEMORY_KIB=19455 is weaker than OWASP's Argon2id minimum (19456 KiB of "
            "memory, 2 iterations, 1 lane): set ARGON2_MEMORY_KIB to 19456 or more.",
            id="too_little_memory_case",
        ),
        pytest.param(
            65536,
            1,
            4,
            "ARGON2_TIME_COST=1 is weaker than OWASP's Argon2id minimum (19456 KiB of "
            "memory, 2 iterations, 1 lane): set ARGON2_TIME_COST to 2 or more.",
            id="one_iteration_case",
        ),
        pytest.param(
            19456,
            2,
            0,
            "ARGON2_PARALLELISM=0 is weaker than OWASP's Argon2id minimum (19456 KiB of "
            "memory, 2 iterations, 1 lane): set ARGON2_PARALLELISM to 1 or more.",
            id="no_lane_case",
        ),
    ],
)
def test_parameters_below_the_minimum_are_refused(memory_kib, time_cost, parallelism, message):
    # when
    with pytest.raises(ImproperlyConfigured) as raised:
        argon2_parameters_check(memory_kib=memory_kib, time_cost=time_cost, parallelism=parallelism)

    # then
    assert str(raised.value) == message


def test_the_minimum_itself_and_above_are_accepted():
    # then: no exception
    assert argon2_parameters_check(memory_kib=19456, time_cost=2, parallelism=1) is None
    assert argon2_parameters_check(memory_kib=65536, time_cost=3, parallelism=4) is None


def test_the_application_refuses_to_start_with_a_weak_setting():
    # given
    environment = {
        **os.environ,
        "ARGON2_TIME_COST": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "start-up-check-only-0123456789abcdef0123456789",
    }

    # when
    started = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then
    assert started.returncode == 1
    assert started.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: ARGON2_TIME_COST=1 is weaker than "
        "OWASP's Argon2id minimum (19456 KiB of memory, 2 iterations, 1 lane): set "
        "ARGON2_TIME_COST to 2 or more."
    )
