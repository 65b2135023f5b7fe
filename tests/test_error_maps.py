"""Every domain error has an entry in every dialect's ERROR_MAP (STYLE: error mapping).

The errors modules are imported here by name, so that the test sees every error class
whether or not something else happened to import its module first.
"""

import importlib
import inspect

import pytest

from config.errors import KIND_CODES, DomainError

ERROR_MODULES = ["config.errors", "customers.errors", "addresses.errors", "accounts.errors"]
DIALECT_MODULES = ["config.api.storefront", "config.api.admin", "config.api.integration"]


def declared_codes() -> dict[str, str]:
    """Code -> module of every concrete DomainError declared in ERROR_MODULES."""
    found = {}
    for module_name in ERROR_MODULES:
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, DomainError)
                and cls.__module__ == module_name
                and cls.code not in KIND_CODES
                and cls is not DomainError
            ):
                found[cls.code] = module_name
    return found


def test_every_app_declares_domain_errors():
    # when
    modules = set(declared_codes().values())

    # then: each app's module was read (an empty one would make the next tests vacuous)
    assert modules == {"customers.errors", "addresses.errors", "accounts.errors"}
    assert "address_not_found" in declared_codes()


def test_every_domain_error_lives_in_a_listed_module():
    # given
    declared = declared_codes()

    # when: every subclass that exists at all, wherever it was declared
    elsewhere = sorted(set(DomainError.all_codes()) - set(declared))

    # then
    assert elsewhere == [], f"add the module of {elsewhere} to ERROR_MODULES"


@pytest.mark.parametrize(
    "module_name", [pytest.param(name, id=f"{name}_case") for name in DIALECT_MODULES]
)
def test_every_domain_error_is_mapped(module_name):
    # given
    module = importlib.import_module(module_name)
    codes = set(declared_codes())

    # when
    missing = sorted(codes - set(module.ERROR_MAP))

    # then
    assert missing == [], f"{module_name}.ERROR_MAP has no entry for {missing}"
