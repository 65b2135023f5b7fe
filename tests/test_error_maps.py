"""Every domain error has an entry in every dialect's ERROR_MAP (STYLE: error mapping)."""

import importlib

import pytest

from config.errors import DomainError

DIALECT_MODULES = ["config.api.storefront", "config.api.admin", "config.api.integration"]


@pytest.mark.parametrize(
    "module_name", [pytest.param(name, id=f"{name}_case") for name in DIALECT_MODULES]
)
def test_every_domain_error_is_mapped(module_name):
    # given
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        pytest.fail(f"{module_name} is missing: {error}")
    codes = set(DomainError.all_codes())

    # when
    missing = sorted(codes - set(module.ERROR_MAP))

    # then
    assert missing == [], f"{module_name}.ERROR_MAP has no entry for {missing}"
