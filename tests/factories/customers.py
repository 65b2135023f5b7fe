"""Factories for stores, customers, addresses and keys."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import CustomerKey
from accounts.services import hash_key
from addresses.models import Address
from customers.models import Customer, CustomerGroup, Store

DEFAULT_PASSWORD = "change123"


class StoreFactory(DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.LazyAttribute(lambda o: f"Store {o.code}")


class CustomerGroupFactory(DjangoModelFactory):
    class Meta:
        model = CustomerGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class CustomerFactory(DjangoModelFactory):
    """A customer written straight to the table; use services to test the rules."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    store = factory.LazyFunction(lambda: Store.objects.get(code="DE"))
    reference = factory.Sequence(lambda n: f"F--{n + 1}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    salutation = "Mr"
    state = Customer.State.ENABLED
    email_verified_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(DEFAULT_PASSWORD if extracted is None else extracted)
        if create:
            obj.save(update_fields=["password"])


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    address1 = factory.Faker("street_address")
    city = factory.Faker("city")
    postcode = factory.Faker("postcode")
    country = "DE"


class CustomerKeyFactory(DjangoModelFactory):
    """Pass `raw_key=...`; the factory stores only its hash."""

    class Meta:
        model = CustomerKey
        exclude = ("raw_key",)

    customer = factory.SubFactory(CustomerFactory)
    purpose = CustomerKey.Purpose.PASSWORD_RESET
    raw_key = factory.Faker("hexify", text="^" * 32)
    key_hash = factory.LazyAttribute(lambda o: hash_key(o.raw_key))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
