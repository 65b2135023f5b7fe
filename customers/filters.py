"""The customer list's filters and orderings, in domain names.

Each dialect translates its own query parameters (EverShop `status`, `created_from`, ...) to
these names. The selector validates the filter set and refuses invalid values instead of
ignoring them (STYLE: never `.qs` without `is_valid()`).
"""

from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import F, Func, OrderBy, Q, QuerySet
from django.db.models.functions import Coalesce, Lower

from customers.models import FULL_NAME, SEARCH_TEXT, Customer, CustomerState, Store

# Largest value a bigint primary key can hold; larger ids would overflow the database driver.
MAX_ID = 2**63 - 1


class StoreCodeField(forms.ModelChoiceField):
    """A store by code, case-insensitively (store codes are stored upper-case)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().upper()
        return super().to_python(value)


class StoreCodeFilter(django_filters.ModelChoiceFilter):
    field_class = StoreCodeField


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class IsoDateFilter(django_filters.DateFilter):
    """A calendar date in ISO form only (`2024-05-31`), read as a UTC day."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


def keyword_condition(term: str) -> Q:
    """A keyword as a substring of the name ("first last"), email, phone or reference.

    It reads the search text (`customers.models.SEARCH_TEXT`, alias `search_text`, from
    `search_text_expression()`), served by one trigram index on PostgreSQL, so "john smi"
    finds John Smith. Runs of whitespace in `term` count as one space. The Admin API's
    `keyword` and the admin grid's search both use it.
    """
    return Q(search_text__icontains=" ".join(term.split()))


def full_name_expression() -> Func:
    """The name as "first last", as `keyword` search reads it (for sorting by it)."""
    return FULL_NAME.copy()


def search_text_expression() -> Func:
    """The expression of the search text's trigram index, for `alias(search_text=...)`."""
    return SEARCH_TEXT.copy()


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class CustomerFilter(django_filters.FilterSet):
    """Filters of the staff customer list.

    `search` is a case-insensitive substring of the full name, the email, the phone or the
    reference. Dates bound `created_at` by whole UTC days, both ends included; they compare
    the column itself (no `__date` transform) so that its index can serve them.
    """

    search = django_filters.CharFilter(method="filter_search", max_length=200)
    email = django_filters.CharFilter(method="filter_email", max_length=254)
    enabled = django_filters.ChoiceFilter(
        choices=[("true", "enabled"), ("false", "not enabled")], method="filter_enabled"
    )
    state = django_filters.ChoiceFilter(choices=CustomerState.choices)
    group_id = IntegerFilter(min_value=1, max_value=MAX_ID)
    store = StoreCodeFilter(to_field_name="code", queryset=Store.objects.all())
    created_after = IsoDateFilter(method="filter_created_after")
    created_before = IsoDateFilter(method="filter_created_before")
    ordering = django_filters.OrderingFilter(
        fields={
            "created_at": "created_at",
            "email": "email",
            "full_name": "full_name",
            "id": "id",
        }
    )

    class Meta:
        model = Customer
        fields = []

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str):
        term = " ".join(value.split())
        if not term:
            return queryset
        return queryset.alias(search_text=search_text_expression()).filter(keyword_condition(term))

    def filter_email(self, queryset: QuerySet[Customer], name: str, value: str):
        # Emails are unique case-insensitively, so the filter matches the same way, through
        # the expression the unique index is built on; that index leads with the store, so
        # the stores are named explicitly even when every store is in reach.
        store_ids = list(Store.objects.values_list("pk", flat=True))
        return queryset.alias(email_lower=Lower("email")).filter(
            store_id__in=store_ids, email_lower=value.strip().lower()
        )

    def filter_enabled(self, queryset: QuerySet[Customer], name: str, value: str):
        if value == "true":
            return queryset.filter(state=CustomerState.ENABLED)
        return queryset.exclude(state=CustomerState.ENABLED)

    def filter_created_after(self, queryset: QuerySet[Customer], name: str, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_created_before(self, queryset: QuerySet[Customer], name: str, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))

    def filter_queryset(self, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        for name, value in self.form.cleaned_data.items():
            if name != "ordering":
                queryset = self.filters[name].filter(queryset, value)
        return self._order(queryset, self.form.cleaned_data.get("ordering") or ["-id"])

    @staticmethod
    def _order(queryset: QuerySet[Customer], ordering: list[str]) -> QuerySet[Customer]:
        keys = []
        for param in ordering:
            descending = param.startswith("-")
            name = param.lstrip("-")
            if name == "full_name":
                queryset = queryset.alias(sort_full_name=full_name_expression())
                name = "sort_full_name"
            keys.append(f"-{name}" if descending else name)
        # `id` always closes the ordering so that pages never overlap when sort keys tie.
        if not any(key.lstrip("-") == "id" for key in keys):
            keys.append("-id" if keys[-1].startswith("-") else "id")
        return queryset.order_by(*keys)


def order_without_indexes(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """The same order, spelled so that no index can serve it (`COALESCE(x, x)`).

    For a filter that few rows pass, walking an index in the wanted order and testing every
    row until a page is full can read the whole table; this leaves PostgreSQL the plan that
    finds the matching rows first (a search's trigram indexes) and sorts just those.
    """
    return queryset.order_by(*(_unindexed(key) for key in queryset.query.order_by))


def _unindexed(key: str) -> OrderBy:
    name = key.lstrip("-")
    expression = Coalesce(F(name), F(name))
    return expression.desc() if key.startswith("-") else expression.asc()
