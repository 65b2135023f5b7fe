"""`manage.py create_store CODE NAME` (SPEC 8)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Store


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_store", *args, stdout=out)
    return out.getvalue()


def test_creates_a_store(db):
    # when
    output = run("AT", "Austria")

    # then
    assert output == "Created store AT (Austria).\n"
    store = Store.objects.get(code="AT")
    assert (store.name, store.is_active) == ("Austria", True)


def test_is_idempotent_on_the_code(db):
    # given
    run("AT", "Austria")

    # when
    output = run("AT", "Österreich")

    # then
    assert output == "Store AT already exists (Austria).\n"
    assert list(Store.objects.filter(code="AT").values_list("name", flat=True)) == ["Austria"]


def test_creates_an_inactive_store(db):
    # when
    run("CH", "Switzerland", "--inactive")

    # then
    assert Store.objects.get(code="CH").is_active is False


@pytest.mark.parametrize(
    ("code", "name"),
    [
        pytest.param("at", "Austria", id="lower_case_code_case"),
        pytest.param("A-T", "Austria", id="punctuation_case"),
        pytest.param("A" * 17, "Austria", id="too_long_case"),
        pytest.param("AT", "", id="empty_name_case"),
    ],
)
def test_refuses_an_invalid_store(db, code, name):
    # given
    before = Store.objects.count()

    # when
    with pytest.raises(CommandError) as error:
        run(code, name)

    # then
    assert str(error.value).startswith("Invalid store: ")
    assert Store.objects.count() == before
