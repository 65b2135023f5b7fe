"""Stores, customer groups and customers, with their invariants as database constraints."""

import uuid

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable, make_password
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from config.models import TimeStampedModel

STORE_CODE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9]{1,16}\Z", "A store code is 1 to 16 upper-case letters or digits.", "invalid"
)
REFERENCE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9._-]{1,64}\Z",
    "A customer reference is 1 to 64 letters, digits, '-', '_' or '.'.",
    "invalid",
)
DEFAULT_GROUP_ID = 1
# What `keyword` search reads (customers/filters.py): one text per customer, "first last",
# email, phone and reference joined by the ASCII unit separator, which a search term never
# holds (terms are split on whitespace, and Python counts it as whitespace), so a term
# matches inside one of them, never across two. One trigram index is built on it. The
# separators are written into the SQL, not passed as parameters, so that a prepared query's
# expression is still the index's; no `Concat`, whose COALESCE around every part no index
# would match (only the phone can be null).
SEARCH_SEPARATOR = "\x1f"
# "first last", as search reads and the lists sort it.
FULL_NAME = Func(
    F("first_name"),
    F("last_name"),
    arg_joiner=" || ' ' || ",
    template="(%(expressions)s)",
    output_field=models.CharField(),
)
SEARCH_TEXT = Func(
    FULL_NAME,
    F("email"),
    Func(F("phone"), template="COALESCE(%(expressions)s, '')"),
    F("reference"),
    arg_joiner=f" || '{SEARCH_SEPARATOR}' || ",
    template="(%(expressions)s)",
    output_field=models.TextField(),
)


class Store(models.Model):
    """A shop's store (Spryker "store", TWC "tenant"); every customer belongs to one."""

    code = models.CharField(max_length=16, unique=True, validators=[STORE_CODE_VALIDATOR])
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The highest number handed out in `{code}--{n}` references, on databases without
    # sequences (SQLite). PostgreSQL numbers from a sequence per store instead, so that no
    # writer waits for another's transaction (customers/services/references.py).
    last_reference_number = models.PositiveBigIntegerField(default=0, editable=False)
    # How many of its customers were live (not soft-deleted) at the last fold. Triggers on
    # customers_customer record every change as a `LiveCustomerDelta` row (insert-only, so
    # writers share no row); the exact count is this plus the store's pending deltas, and a
    # fold moves the deltas in here (customers/live_totals.py).
    live_customers = models.PositiveBigIntegerField(default=0, editable=False)
    # Staff limited to some stores are listed here; staff listed nowhere see every store.
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stores",
        help_text=(
            "Staff users limited to this store. A staff user assigned to no store sees all."
        ),
    )

    # Moved only by atomic UPDATEs and triggers, never written back from a loaded instance:
    # a stale copy saved in full would hand out references again and miscount customers.
    COUNTERS = frozenset({"last_reference_number", "live_customers"})

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.COUNTERS
            ]
        super().save(*args, **kwargs)


class LiveCustomerDelta(models.Model):
    """A change of a store's live customer count not yet folded into `Store.live_customers`.

    Written only by the triggers of migration 0009 (one row per statement on PostgreSQL,
    one per row on SQLite) and deleted only by the fold.
    """

    # No database constraint: rows come only from the triggers, and a check per write
    # would read the store row that writers are meant to leave alone.
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    delta = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.delta:+d}"


class CustomerGroup(models.Model):
    """EverShop's customer group (`group_id`); group 1 "Default" always exists."""

    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CustomerState(models.TextChoices):
    ENABLED = "enabled"
    DISABLED = "disabled"
    INVITED = "invited"
    DECLINED = "declined"


class Salutation(models.TextChoices):
    MR = "Mr"
    MRS = "Mrs"
    MS = "Ms"
    DR = "Dr"


class Gender(models.TextChoices):
    MALE = "Male"
    FEMALE = "Female"


class OptinLevel(models.TextChoices):
    SINGLE_OPT_IN = "single_opt_in"
    CONFIRMED_OPT_IN = "confirmed_opt_in"
    UNKNOWN = "unknown"


class Customer(TimeStampedModel):
    """A shopper's account in one store."""

    State = CustomerState
    Salutation = Salutation
    Gender = Gender
    OptinLevel = OptinLevel

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=64, validators=[REFERENCE_VALIDATOR])
    # No index of its own: the reference constraint (store, reference) leads with it.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="customers", db_index=False
    )
    email = models.EmailField(max_length=254)
    password = models.CharField(max_length=128, editable=False)
    salutation = models.CharField(max_length=3, choices=Salutation.choices, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    gender = models.CharField(max_length=6, choices=Gender.choices, null=True, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = PhoneNumberField(null=True, blank=True)
    mobile = PhoneNumberField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ENABLED)
    group = models.ForeignKey(
        CustomerGroup, on_delete=models.PROTECT, default=DEFAULT_GROUP_ID, related_name="+"
    )
    accepts_marketing = models.BooleanField(default=False)
    marketing_optin_level = models.CharField(
        max_length=16, choices=OptinLevel.choices, null=True, blank=True
    )
    marketing_preferences_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    tax_exempt = models.BooleanField(default=False)
    tax_exemptions = models.JSONField(default=list, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    accepted_terms_at = models.DateTimeField(null=True, blank=True)
    # Self-registered customers cannot log in before confirming their email (SPEC 4);
    # customers created by staff or imports are vouched for.
    self_registered = models.BooleanField(default=False, editable=False)
    attribute_groups = models.JSONField(default=dict, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    anonymized_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Carried in access tokens and bumped when credentials are revoked (accounts/tokens.py).
    credentials_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                "store",
                "reference",
                name="customers_customer_reference_unique",
                violation_error_code="customer_reference_taken",
            ),
            # Soft-deleted customers free their email and phone numbers (SPEC 1.2).
            models.UniqueConstraint(
                "store",
                Lower("email"),
                condition=Q(deleted_at__isnull=True),
                name="customers_customer_email_unique",
                violation_error_code="customer_email_taken",
            ),
            models.UniqueConstraint(
                "store",
                "phone",
                condition=Q(deleted_at__isnull=True, phone__gt=""),
                name="customers_customer_phone_unique",
                violation_error_code="customer_phone_taken",
            ),
            models.UniqueConstraint(
                "store",
                "mobile",
                condition=Q(deleted_at__isnull=True, mobile__gt=""),
                name="customers_customer_mobile_unique",
                violation_error_code="customer_phone_taken",
            ),
            models.CheckConstraint(
                condition=Q(state__in=CustomerState.values), name="customers_customer_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(salutation__in=[*Salutation.values, ""]),
                name="customers_customer_salutation_valid",
            ),
            models.CheckConstraint(
                condition=Q(gender__isnull=True) | Q(gender__in=Gender.values),
                name="customers_customer_gender_valid",
            ),
            # TWC: a customer who does not accept marketing has no opt-in level.
            models.CheckConstraint(
                condition=Q(marketing_optin_level__isnull=True)
                | Q(accepts_marketing=True, marketing_optin_level__in=OptinLevel.values),
                name="customers_customer_optin_level_valid",
            ),
        ]
        # Every index serves a query the product runs (tests/customers/test_indexes.py
        # shows each one in its plan). Lookups by uuid, by reference, email, phone and
        # mobile in a store, and by id go through the unique constraints and keys above.
        indexes = [
            # Lists ordered or filtered by creation date (`created_after`, `ordering`).
            models.Index(fields=["created_at", "id"], name="customers_customer_created_idx"),
            # The admin's "soft-deleted" filter; live rows (nearly all) are not in it, so
            # inserting a customer never writes it.
            models.Index(
                fields=["deleted_at"],
                condition=Q(deleted_at__isnull=False),
                name="customers_customer_deleted",
            ),
            # Live customers by id: the default order of the lists, read index-only however
            # deep the page (the list pages take the page's keys first, then its rows).
            models.Index(
                fields=["id"],
                condition=Q(deleted_at__isnull=True),
                name="customers_customer_live_id_idx",
            ),
            # The same for staff limited to some stores.
            models.Index(
                fields=["store", "id"],
                condition=Q(deleted_at__isnull=True),
                name="customers_customer_live_store",
            ),
            # `keyword` search: a case-insensitive substring of the search text (PostgreSQL
            # only; spelled as customers/filters.py queries it).
            GinIndex(
                OpClass(Upper(SEARCH_TEXT), name="gin_trgm_ops"),
                name="customers_customer_search_trgm",
            ),
            # The grid's "email verified" filter: whichever side is rare (no one verified
            # yet, or almost everyone) is found here instead of by reading the whole table.
            models.Index(fields=["email_verified_at"], name="customers_customer_verify_idx"),
        ]

    def __str__(self) -> str:
        # Never PII: this ends up in logs.
        return self.reference or str(self.uuid)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_enabled(self) -> bool:
        return self.state == self.State.ENABLED

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    def set_password(self, raw_password: str | None) -> None:
        """Hash `raw_password`; `None` makes the password unusable (invited, imported)."""
        self.password = make_password(raw_password)

    def has_usable_password(self) -> bool:
        return is_password_usable(self.password)

    def touch_login(self) -> None:
        self.last_login_at = timezone.now()
