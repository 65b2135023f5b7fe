"""Row locks, always taken in primary-key order so that concurrent writers cannot deadlock."""

from customers.models import Customer


def customer_lock(*, customer: Customer) -> Customer:
    """Lock `customer`'s row for the rest of the transaction and return it fresh."""
    return Customer.objects.select_for_update().get(pk=customer.pk)
