"""Row locks, always taken in primary-key order so that concurrent writers cannot deadlock."""

from django.db.models import QuerySet

from customers.models import Customer


def customer_lock(*, customer: Customer) -> Customer:
    """Lock `customer`'s row for the rest of the transaction and return it fresh."""
    return Customer.objects.select_for_update().get(pk=customer.pk)


def customers_lock(*, pks: list[int]) -> QuerySet[Customer]:
    """Lock several customers' rows, in `pk` order."""
    return Customer.objects.select_for_update().filter(pk__in=pks).order_by("pk")
