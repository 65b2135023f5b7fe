"""Reads of addresses, always through their owner: no address is reachable on its own."""

from uuid import UUID

from django.db.models import QuerySet

from addresses.errors import AddressNotFound
from addresses.models import Address
from customers.models import Customer


def address_list(*, customer: Customer) -> QuerySet[Address]:
    return Address.objects.filter(customer=customer).order_by("id")


def address_get(*, customer: Customer, uuid: str) -> Address:
    """The address `uuid` of `customer`.

    Raises:
        AddressNotFound: unknown, malformed, or another customer's address.
    """
    try:
        parsed = UUID(str(uuid))
    except ValueError:
        raise AddressNotFound() from None
    address = Address.objects.filter(customer=customer, uuid=parsed).first()
    if address is None:
        raise AddressNotFound()
    address.customer = customer
    return address
