"""Customer addresses; at most one default shipping and one default billing per customer."""

import uuid

from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from config.models import TimeStampedModel
from customers.models import Customer


class Address(TimeStampedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=100, blank=True)
    salutation = models.CharField(max_length=3, choices=Customer.Salutation.choices, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=100, blank=True)
    address1 = models.CharField(max_length=255)
    address2 = models.CharField(max_length=255, blank=True)
    address3 = models.CharField(max_length=255, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100)
    province = models.CharField(max_length=100, blank=True)
    province_code = models.CharField(max_length=10, blank=True)
    country = CountryField()
    # Free text, kept as given (the seeds' samples use `22111-3-4-5`).
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    is_default_shipping = models.BooleanField(default=False)
    is_default_billing = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                "customer",
                condition=Q(is_default_shipping=True),
                name="addresses_address_one_default_shipping",
                violation_error_code="address_default_shipping_taken",
            ),
            models.UniqueConstraint(
                "customer",
                condition=Q(is_default_billing=True),
                name="addresses_address_one_default_billing",
                violation_error_code="address_default_billing_taken",
            ),
            # address1 and city are required on input but blanked by anonymization (SPEC 1.5).
            models.CheckConstraint(
                condition=~Q(country=""), name="addresses_address_country_required"
            ),
        ]

    def __str__(self) -> str:
        return str(self.uuid)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
