"""The core does not import a dialect, and the app service modules depend one way."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_APPS = ("customers", "addresses", "accounts")


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def core_modules() -> list[Path]:
    return sorted(
        path
        for app in CORE_APPS
        for path in (ROOT / app).rglob("*.py")
        # An app's API package, or a sub-app's (customers/webhooks/api/), is an interface.
        if "api" not in path.relative_to(ROOT / app).parts[:-1] and "migrations" not in path.parts
    )


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_the_core_modules_are_found():
    names = {module_name(path) for path in core_modules()}
    assert {"customers.services.bulk", "customers.formats.twc", "accounts.credentials"} <= names
    assert not any(".api" in name for name in names)


@pytest.mark.parametrize("path", core_modules(), ids=module_name)
def test_no_core_module_imports_a_dialect(path):
    assert not {name for name in imported_modules(path) if name.startswith("config.api")}


def test_credential_revocation_depends_only_on_models():
    imports = imported_modules(ROOT / "accounts" / "credentials.py")
    first_party = {name for name in imports if name.split(".")[0] in (*CORE_APPS, "config")}
    assert first_party == {"accounts.models", "customers.models"}


def test_customer_and_address_modules_do_not_import_the_account_services():
    importers = {
        module_name(path)
        for path in core_modules()
        if path.parts[len(ROOT.parts)] in ("customers", "addresses")
        and "accounts.services" in imported_modules(path)
    }
    # The admin is an interface over both apps.
    assert importers == {"customers.admin"}
