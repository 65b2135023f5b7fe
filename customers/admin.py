"""The Django admin for stores, customer groups and customers (SPEC 7).

The admin is one more adapter over the domain: forms only parse input, and every write goes
through `customers.services`, `addresses.services` or `accounts.services`. Their
`DomainError`s and `ValidationError`s come back to staff as messages and form errors, never
as a 500, and a rejected submission writes nothing.

The customer grid has to stay fast at a million rows on PostgreSQL: no exact `COUNT(*)` of
the whole table per page view (`EstimatedCountPaginator`), searches that the trigram
indexes declared in `Customer.Meta` (or the unique indexes) can answer, related rows joined in the
page query, and sorting only on indexed columns.
"""

import csv
import re
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, ExpressionWrapper, F, OrderBy, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from accounts.services import password_reset_send
from addresses import services as address_services
from addresses.admin import AddressInline
from addresses.models import Address
from config.admin_site import configure_admin_site
from config.errors import DomainError
from customers import exporting, services, validation
from customers.admin_paginator import EstimatedCountPaginator, query_row_estimate
from customers.filters import keyword_condition, search_text_expression
from customers.models import DEFAULT_GROUP_ID, Customer, CustomerGroup, Store
from customers.selectors import stores_visible_to

configure_admin_site(admin.site)

# --- Reporting service errors -------------------------------------------------------------------


class ServiceRejected(Exception):
    """A service refused an admin write; carries its errors as (field or None, message)."""

    def __init__(self, errors: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in errors))
        self.errors = errors


def service_errors(error: DomainError | ValidationError, *, prefix: str = "") -> list:
    """Flatten a service error into (domain field or None, message) pairs."""
    if isinstance(error, DomainError):
        return [(f"{prefix}{error.field}" if error.field else None, error.message)]
    if hasattr(error, "error_dict"):
        return [
            (f"{prefix}{name}" if name != "__all__" else None, message)
            for name, errors in error.error_dict.items()
            for message in ValidationError(errors).messages
        ]
    return [(None, message) for message in error.messages]


def describe(errors: list[tuple[str | None, str]]) -> str:
    return "; ".join(f"{name}: {message}" if name else message for name, message in errors)


# --- Stores and groups ------------------------------------------------------------------------


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("=code", "name")
    filter_horizontal = ("staff",)
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request: HttpRequest, obj: Store | None = None) -> tuple:
        # The code names the store in references (`DE--25`) and in the tenant header of
        # integrators: it is fixed once the store exists.
        return (*self.readonly_fields, "code") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Store | None = None) -> bool:
        # Customers protect their store, and listing a big store's customers on the delete
        # page would take minutes: a store is retired with `is_active` instead.
        return False

    def save_model(self, request: HttpRequest, obj: Store, form, change: bool) -> None:
        if change:
            # The code is read-only; staff are saved with the form's many-to-many data.
            services.store_update(store=obj, name=obj.name, is_active=obj.is_active)
            return
        store, _ = services.store_create(code=obj.code, name=obj.name, is_active=obj.is_active)
        obj.pk = store.pk
        obj.created_at = store.created_at
        obj._state.adding = False
        obj._state.db = store._state.db


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_at",)
    ordering = ("id",)

    def has_delete_permission(self, request: HttpRequest, obj: CustomerGroup | None = None):
        # Group 1 "Default" is where customers go by default (SPEC 1.2); it always exists.
        if obj is not None and obj.pk == DEFAULT_GROUP_ID:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: CustomerGroup) -> None:
        services.customer_group_delete(group=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CustomerGroup]) -> None:
        for group in queryset:
            services.customer_group_delete(group=group)


# --- Customer list filters --------------------------------------------------------------------


class StoreListFilter(admin.SimpleListFilter):
    """The stores this staff user may see (a related-field filter would offer all stores)."""

    title = "store"
    parameter_name = "store"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(str(store.pk), store.code) for store in stores_visible_to(user=request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(store_id=int(value))


class EmailVerifiedListFilter(admin.SimpleListFilter):
    title = "email verified"
    parameter_name = "email_verified"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]):
        if self.value() == "yes":
            return queryset.filter(email_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_verified_at__isnull=True)
        return queryset


class DeletedListFilter(admin.SimpleListFilter):
    """Live or soft-deleted customers; both by default.

    SPEC 1.2 makes soft-deleted customers visible and restorable here, so the default list
    shows everyone (the "deleted" column tells them apart). It also keeps the default list
    unfiltered, which is what lets the paginator use the table estimate instead of a count.
    """

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("no", "Live"), ("yes", "Soft-deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Customer]):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


# --- Customer form ----------------------------------------------------------------------------

# The domain fields staff may write here (a subset of services.CUSTOMER_FIELDS; the store is
# chosen on creation only). No password: staff never set one, customers created here get an
# unusable password and can set their own through the reset email. Attribute groups are shown
# read-only (`attribute_groups_table`): their nested, typed shape has no honest form widget,
# and the Integration API and imports write them.
CUSTOMER_FORM_FIELDS = (
    "store",
    "email",
    "state",
    "group",
    "salutation",
    "first_name",
    "last_name",
    "gender",
    "date_of_birth",
    "phone",
    "mobile",
    "accepts_marketing",
    "marketing_optin_level",
    "tax_exempt",
    "tax_exemptions",
    "email_verified_at",
)
CUSTOMER_READONLY_FIELDS = (
    "customer_uuid",
    "reference",
    "attribute_groups_table",
    "created_at",
    "updated_at",
    "last_login_at",
    "accepted_terms_at",
    "marketing_preferences_updated_at",
    "deleted_at",
    "anonymized_at",
)
# Labels where the field name does not read well (the admin's own labels: a model
# `verbose_name` would need a migration).
CUSTOMER_LABELS = {"group": "Customer group", "marketing_optin_level": "Marketing opt-in level"}
# Form field -> service keyword.
_SERVICE_NAMES = {"group": "group_id"}
# Service field -> form field, to put a service's error next to the input it is about.
_FORM_NAMES = {"group_id": "group"}


def international_form(value: str, *, region: str | None) -> str:
    """`value` in E.164 when it is a valid number read in `region`, else `value` unchanged."""
    if not value.strip() or region is None:
        return value
    try:
        number = validation.normalise_phone(value, field="phone", region=region)
    except ValidationError:
        return value
    return number.as_e164


def attribute_group_rows(attribute_groups: Any) -> list[tuple[str, str, str, str, str]]:
    """(group, " (obsolete)" or "", attribute, value, type) rows, by group key and name.

    A group without attributes still gets a row; anything not shaped like TWC's
    `attributeGroups` (data older than its validation) is shown as text, never a crash.
    """
    if not isinstance(attribute_groups, dict):
        return [("", "", "", str(attribute_groups), "")] if attribute_groups else []
    rows = []
    for key, group in sorted(attribute_groups.items()):
        if not isinstance(group, dict):
            rows.append((str(key), "", "", str(group), ""))
            continue
        title = str(group.get("attribute_group") or key)
        obsolete = " (obsolete)" if group.get("is_obsolete") else ""
        attributes = group.get("attributes")
        if not isinstance(attributes, dict) or not attributes:
            rows.append((title, obsolete, "-", "", ""))
            continue
        for name, attribute in sorted(attributes.items()):
            if isinstance(attribute, dict):
                value = str(attribute.get("attribute_value", ""))
                value_type = str(attribute.get("value_type", ""))
            else:
                value, value_type = str(attribute), ""
            rows.append((title, obsolete, str(name), value, value_type))
    return rows


class LinesField(forms.CharField):
    """A list of strings edited as one item a line (blank lines and outer spaces dropped)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class CustomerAdminForm(forms.ModelForm):
    # Plain text: the service reads it in the store's country and normalises it
    # (`customers.validation.normalise_phone`).
    phone = forms.CharField(
        required=False,
        max_length=64,
        help_text="International (+49 30 1234567) or national in the store's country "
        "(030 1234567 in a DE store).",
    )
    mobile = forms.CharField(required=False, max_length=64)
    tax_exemptions = LinesField(
        required=False, label="Tax exemptions", help_text="One exemption a line."
    )

    # Errors a service raised for the previous submission of this form (see changeform_view).
    service_errors: list[tuple[str | None, str]] = []

    class Meta:
        model = Customer
        fields = CUSTOMER_FORM_FIELDS
        labels = CUSTOMER_LABELS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, message in self.service_errors:
            field = _FORM_NAMES.get(name, name)
            self.add_error(field if field in self.fields else None, message)
        return cleaned

    def _post_clean(self) -> None:
        # No model validation and no copying into the instance here: the service validates
        # (with the domain's messages) and saves. Model checks would repeat its rules.
        pass

    def service_values(self, names: list[str] | tuple[str, ...]) -> dict[str, Any]:
        """The cleaned values of `names` as service keyword arguments."""
        values = {}
        for name in names:
            if name not in self.cleaned_data or name == "store":
                continue
            value = self.cleaned_data[name]
            if name == "group":
                value = value.pk if value is not None else DEFAULT_GROUP_ID
            elif name in ("gender", "marketing_optin_level") and value == "":
                value = None
            values[_SERVICE_NAMES.get(name, name)] = value
        return values


def _copy_into(target: Customer, source: Customer) -> None:
    """Make the admin's instance the saved customer (the admin keeps using its object)."""
    for model_field in Customer._meta.concrete_fields:
        setattr(target, model_field.attname, getattr(source, model_field.attname))
    target._state.adding = False
    target._state.db = source._state.db


# --- CSV export -------------------------------------------------------------------------------

# The operators' export (`customers.exporting`, the rows `export_customers` writes) less what a
# browser download must not carry: no secret leaves through a response.
EXPORT_WITHHELD_COLUMNS = ("password_hash",)
# Spreadsheet programs run cells starting with these as formulas (CSV injection); numbers,
# such as E.164 phones, cannot call anything and stay as they are so the file re-imports.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC = re.compile(r"^[+-]?[\d\s().-]+\Z")


def _safe_cell(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _NUMERIC.match(text):
        return "'" + text
    return text


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of buffering."""

    def write(self, value: str) -> str:
        return value


def export_csv_lines(queryset: QuerySet[Customer]) -> Iterator[str]:
    """CSV lines of the selected customers, as `customers.exporting` writes them.

    The export's own selection applies to the customers picked here: soft-deleted and
    anonymized customers are left out (`exporting.customers_for_export`).
    """
    columns = list(exporting.CSV_COLUMNS)
    kept = [index for index, name in enumerate(columns) if name not in EXPORT_WITHHELD_COLUMNS]
    writer = csv.writer(_Echo())
    yield writer.writerow([columns[index] for index in kept])
    customers = exporting.customers_for_export().filter(pk__in=queryset.values("pk"))
    for customer in customers.iterator(chunk_size=exporting.CHUNK_SIZE):
        for row in exporting.csv_rows(customer):
            yield writer.writerow([_safe_cell(row[index]) for index in kept])


# --- Change page widgets ----------------------------------------------------------------------


def _html_attrs(attrs: dict[str, Any]) -> str:
    """Widget attributes as Django's `attrs.html` writes them (True: bare, False: left out)."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class PlainSelect(forms.Select):
    """A `<select>` written in Python, character for character as Django's templates write it.

    The template engine renders an include per option: the 250 countries of each address
    form cost 17-26 ms on the customer page (the page has one list per address and one for
    a new address). Written here, they cost about 2 ms.
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        # What `ChoiceWidget.optgroups` and Django's select templates do, without building a
        # context dictionary per option: only the first matching option is selected.
        select_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            select_attrs["multiple"] = True
        wanted = self.format_value(value)
        parts = [format_html('<select name="{}"{}>', name, _html_attrs(select_attrs))]
        has_selected = False
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                group_name, options = option_value, option_label
            else:
                group_name = None
                options = [("" if option_value is None else option_value, option_label)]
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for subvalue, sublabel in options:
                selected = (not has_selected or self.allow_multiple_selected) and (
                    str(subvalue) in wanted
                )
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{escape(str(subvalue))}"'
                    f"{' selected' if selected else ''}>{conditional_escape(sublabel)}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        # Every value and label above is escaped (as the templates' autoescaping does).
        return mark_safe("".join(parts))


class CustomerAddressInline(AddressInline):
    """The addresses inline with its country lists written by `PlainSelect`."""

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "country" and formfield is not None:
            formfield.widget = PlainSelect(attrs=formfield.widget.attrs, choices=formfield.choices)
        return formfield


# --- Customers --------------------------------------------------------------------------------

# Substring searches need this many characters: the shortest a trigram index can narrow.
SEARCH_MIN_SUBSTRING = 3
# A search term that may be a national phone number: digits, spaces and phone punctuation.
_PHONE_LIKE = re.compile(r"^[\d\s()./-]{6,}\Z")


def _sorted_after_matching() -> OrderBy:
    """Newest first, as an expression no index provides.

    PostgreSQL then finds the matches first and sorts them, instead of walking the primary
    key backwards hoping to meet them early.
    """
    return ExpressionWrapper(F("id") + 0, output_field=BigIntegerField()).desc()


class CustomerChangeList(ChangeList):
    """The grid's ordering: sortable columns only, each walked along an index when it pays."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Customer]) -> list:
        self._keep_sortable_columns()
        ordering = super().get_ordering(request, queryset)
        first = ordering[0] if ordering else None
        if isinstance(first, str) and first.lstrip("-") == "created_at":
            # `created_at, -id` (Django adds the query's own order as the tiebreaker) sorts
            # every row again; `created_at, id` in one direction walks the (created_at, id)
            # index of the model forwards or backwards and stops after the page.
            return [first, "-id" if first.startswith("-") else "id"]
        return ordering

    def get_queryset(self, request: HttpRequest, exclude_parameters=None) -> QuerySet[Customer]:
        # Django orders before it searches; the newest-first plan depends on the search too.
        queryset = super().get_queryset(request, exclude_parameters)
        if self.params.get(ORDER_VAR) or not queryset.query.where:
            return queryset
        estimate = query_row_estimate(queryset)
        if estimate is None:
            return queryset
        queryset = queryset.order_by(*self._newest_first(estimate))
        queryset.row_estimate = estimate  # the paginator's count needs it too
        return queryset

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows = self.paginator.first_page_rows
        if rows is not None and not self.multi_page:
            # The paginator read the only page to count it: show those rows.
            self.result_list = rows

    @staticmethod
    def _newest_first(estimate: int) -> list:
        """Newest first, along the primary key when many rows match, after matching if few.

        Walking the key backwards stops after the page: with 5% of the rows matching, it
        reads about a thousand. With a few old matches it would read the whole table; those
        are found first (through the search's trigram indexes or the filter's index) and
        sorted. The planner's estimate of the matches decides (on PostgreSQL; elsewhere the
        admin's own order stays).
        """
        if estimate >= EstimatedCountPaginator.estimate_filtered_from:
            return ["-id"]
        return [_sorted_after_matching()]

    def _keep_sortable_columns(self) -> None:
        """Drop `?o=` parts naming columns outside `sortable_by` (the header offers none).

        A hand-written `?o=2` would otherwise sort a million rows by email on each view.
        """
        if not self.params.get(ORDER_VAR):
            return
        sortable = {
            str(index) for index, name in enumerate(self.list_display) if name in self.sortable_by
        }
        kept = [part for part in self.params[ORDER_VAR].split(".") if part.lstrip("-") in sortable]
        if kept:
            self.params[ORDER_VAR] = ".".join(kept)
        else:
            del self.params[ORDER_VAR]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    inlines = [CustomerAddressInline]
    # Narrow cells (a short date, a one-word status, long emails cut with an ellipsis by
    # the change list template) so the grid fits 1366 px with the sidebar and filters open.
    list_display = (
        "reference",
        "email",
        "full_name",
        "store",
        "state",
        "group",
        "created",
        "status",
    )
    list_display_links = ("reference", "email")
    list_select_related = ("store", "group")
    list_filter = (
        StoreListFilter,
        "state",
        "group",
        "accepts_marketing",
        EmailVerifiedListFilter,
        ("created_at", admin.DateFieldListFilter),
        DeletedListFilter,
    )
    # Only used to show the search box: `get_search_results` decides what a term matches.
    search_fields = ("reference", "email", "first_name", "last_name", "phone")
    search_help_text = (
        "Part of the name, email, phone or reference (3 characters or more), an exact "
        "reference or email, or a phone or mobile number in any format (national numbers "
        "in a store's country)."
    )
    # Sorting by email or name would sort the whole table on each page; the creation date
    # has an index, and the default order (newest id first) walks the primary key.
    sortable_by = ("created",)
    ordering = ("-id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Facet counts would count the whole table once per filter choice on every page view.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    readonly_fields = CUSTOMER_READONLY_FIELDS
    fieldsets = (
        (None, {"fields": ("store", "reference", "customer_uuid", "email", "state", "group")}),
        (
            "Person",
            {
                "fields": (
                    "salutation",
                    ("first_name", "last_name"),
                    "gender",
                    "date_of_birth",
                    ("phone", "mobile"),
                )
            },
        ),
        (
            "Marketing",
            {
                "fields": (
                    "accepts_marketing",
                    "marketing_optin_level",
                    "marketing_preferences_updated_at",
                )
            },
        ),
        (
            "Tax and attributes",
            {"fields": ("tax_exempt", "tax_exemptions", "attribute_groups_table")},
        ),
        (
            "Account",
            {
                "fields": (
                    "email_verified_at",
                    "accepted_terms_at",
                    "last_login_at",
                    ("created_at", "updated_at"),
                    ("deleted_at", "anonymized_at"),
                )
            },
        ),
    )
    actions = (
        "enable_customers",
        "disable_customers",
        "anonymize_customers",
        "soft_delete_customers",
        "restore_customers",
        "send_password_reset",
        "export_csv",
    )

    # --- list -------------------------------------------------------------------------------

    @admin.display(description="full name")
    def full_name(self, obj: Customer) -> str:
        return obj.full_name

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: Customer) -> str:
        # The date in the cell, the time on hover: the column stays narrow.
        moment = timezone.localtime(obj.created_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            moment.isoformat(),
            moment.strftime("%Y-%m-%d %H:%M:%S %Z"),
            moment.strftime("%Y-%m-%d"),
        )

    @admin.display(description="status")
    def status(self, obj: Customer) -> str:
        """Live, Deleted (soft, restorable here) or Anonymized (personal data scrubbed)."""
        if obj.deleted_at is not None:
            return format_html('<span class="customer-status-deleted">{}</span>', "Deleted")
        if obj.anonymized_at is not None:
            return "Anonymized"
        return "Live"

    # --- change page ------------------------------------------------------------------------

    @admin.display(description="UUID")
    def customer_uuid(self, obj: Customer) -> str:
        # The add page's unsaved instance holds a random uuid the service will not use.
        return str(obj.uuid) if obj.pk else "-"

    @admin.display(description="Attribute groups")
    def attribute_groups_table(self, obj: Customer) -> str:
        """TWC `attributeGroups` as a table: group, attribute, value, type (read-only)."""
        rows = attribute_group_rows(obj.attribute_groups)
        if not rows:
            return "-"
        return format_html(
            '<table class="attribute-groups"><thead><tr><th>Group</th><th>Attribute</th>'
            "<th>Value</th><th>Type</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                rows,
            ),
        )

    # --- changelist -------------------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context=None):
        term = " ".join(request.GET.get(SEARCH_VAR, "").split())
        if 0 < len(term) < SEARCH_MIN_SUBSTRING:
            extra_context = {
                **(extra_context or {}),
                "search_hint": (
                    f"\u201c{term}\u201d is shorter than {SEARCH_MIN_SUBSTRING} characters, so "
                    "it only matched an exact reference or email. Type at least "
                    f"{SEARCH_MIN_SUBSTRING} characters to search names, emails, phones and "
                    "references."
                ),
            }
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request: HttpRequest, **kwargs):
        return CustomerChangeList

    def get_paginator(self, request: HttpRequest, queryset, per_page, **kwargs):
        paginator = super().get_paginator(request, queryset, per_page, **kwargs)
        paginator.first_page_wanted = request.GET.get(PAGE_VAR, "1") == "1"
        return paginator

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # Django's permanent delete is listed last, under the reversible soft delete, and
        # says what it does; its confirmation page warns again (delete_selected_confirmation).
        hard_delete = actions.pop("delete_selected", None)
        if hard_delete is not None:
            function, name, _ = hard_delete
            actions[name] = (function, name, "Delete selected customers permanently")
        return actions

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        queryset = super().get_queryset(request)
        store_ids = list(stores_visible_to(user=request.user).values_list("pk", flat=True))
        # Staff who see every store get no store condition at all: the unfiltered list is
        # what the paginator can number from the table estimate.
        if len(store_ids) == Store.objects.count():
            return queryset
        return queryset.filter(store_id__in=store_ids)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        """Match the whole term (not word by word) against indexed expressions only.

        On PostgreSQL each branch has an index: the `UPPER(...)` trigram indexes of
        `Customer.Meta` serve the substring matches (3+ characters, the shortest a trigram
        can narrow) and also `iexact` equality; the mobile number goes through the store's
        unique index, so its branch names the stores and repeats that index's condition.
        An OR with one unindexed branch would read the whole table.
        """
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        condition = Q(reference__iexact=term) | Q(email__iexact=term)
        if len(term) >= SEARCH_MIN_SUBSTRING:
            condition |= keyword_condition(term)
        numbers = self._phone_numbers(request, term)
        for number in numbers:
            condition |= Q(phone__iexact=number)
        if numbers:
            condition |= Q(
                store_id__in=list(Store.objects.values_list("pk", flat=True)),
                deleted_at__isnull=True,
                mobile__gt="",
                mobile__in=numbers,
            )
        return queryset.alias(search_text=search_text_expression()).filter(condition), False

    @staticmethod
    def _phone_numbers(request: HttpRequest, term: str) -> list[str]:
        """The E.164 numbers `term` can be: international, else national in a store's country.

        A national number (`030 1234567`) is read in the country of each store this staff
        user sees (`validation.store_phone_region`), as the services read it for the
        customer's store.
        """
        try:
            number = validation.normalise_phone(term, field="phone")
        except ValidationError:
            number = None
        if number is not None:
            return [number.as_e164]
        if not _PHONE_LIKE.match(term):
            return []
        regions = {
            validation.store_phone_region(store) for store in stores_visible_to(user=request.user)
        }
        numbers = {international_form(term, region=region) for region in regions if region}
        return sorted(number for number in numbers if number.startswith("+"))

    def get_ordering(self, request: HttpRequest):
        if request.GET.get(SEARCH_VAR, "").strip():
            # Newest first, but sorted after matching: ordered by plain `id`, PostgreSQL walks
            # the primary key backwards hoping to meet 50 matches early, and reads most of
            # the table when the matches are old (measured: 370 ms against 40 ms at 1M rows).
            # On PostgreSQL the change list walks the key after all when many rows match
            # (`CustomerChangeList._newest_first`).
            return [_sorted_after_matching()]
        return super().get_ordering(request)

    # --- form -------------------------------------------------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple:
        # A customer stays in its store: its reference and uniqueness are per store.
        return (*self.readonly_fields, "store") if obj else self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # Created without a password: invited until they set one (as TWC creates them).
        initial.setdefault("state", Customer.State.INVITED)
        default_store = Store.objects.filter(code=settings.DEFAULT_STORE_CODE).first()
        if default_store is not None:
            initial.setdefault("store", default_store.pk)
        return initial

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "store":
            kwargs["queryset"] = stores_visible_to(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Customer | None = None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        rejected = getattr(request, "_customer_admin_rejected", None)
        if rejected:
            form = type(form.__name__, (form,), {"service_errors": rejected})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # The admin's transaction was rolled back with the exception: nothing of this
            # submission is written. Show the form again, with the input and the errors.
            self.message_user(request, describe(rejected.errors), messages.ERROR)
            request._customer_admin_rejected = rejected.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Customer, form, change: bool) -> None:
        try:
            if change:
                saved = services.customer_update(
                    customer=obj, **form.service_values(form.changed_data)
                )
            else:
                saved = services.customer_create(
                    store=form.cleaned_data["store"],
                    **form.service_values(CUSTOMER_FORM_FIELDS),
                )
        except (DomainError, ValidationError) as error:
            raise ServiceRejected(service_errors(error)) from error
        _copy_into(obj, saved)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not Address:
            super().save_formset(request, form, formset, change)
            return
        customer = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for index, address_form in enumerate(formset.forms):
            prefix = f"addresses.{index}."
            try:
                self._save_address_form(customer, formset, address_form)
            except (DomainError, ValidationError) as error:
                raise ServiceRejected(service_errors(error, prefix=prefix)) from error

    @staticmethod
    def _save_address_form(customer: Customer, formset, address_form) -> None:
        address = address_form.instance
        values = {
            name: value
            for name, value in address_form.cleaned_data.items()
            if name in address_services.ADDRESS_FIELDS
        }
        if address.pk is not None:
            if formset.can_delete and formset._should_delete_form(address_form):
                address_services.address_delete(address=address)
                formset.deleted_objects.append(address)
            elif address_form.has_changed():
                changed = [name for name in address_form.changed_data if name in values]
                saved = address_services.address_update(
                    address=address, **{name: values[name] for name in changed}
                )
                formset.changed_objects.append((saved, changed))
        elif address_form.has_changed() and not formset._should_delete_form(address_form):
            saved = address_services.address_create(customer=customer, **values)
            formset.new_objects.append(saved)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRejected as rejected:
            self.message_user(request, describe(rejected.errors), messages.ERROR)
            change_url = reverse("admin:customers_customer_change", args=[object_id])
            return HttpResponseRedirect(change_url)

    def delete_model(self, request: HttpRequest, obj: Customer) -> None:
        try:
            services.customer_delete(customer=obj)
        except DomainError as error:
            raise ServiceRejected(service_errors(error)) from error

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        for customer in queryset:
            try:
                services.customer_delete(customer=customer)
            except DomainError as error:
                self.message_user(
                    request, f"{customer}: {describe(service_errors(error))}", messages.ERROR
                )

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Addresses, keys, tokens and sessions go with their customer (customer_delete);
        # their admins being read-only must not block deleting the customer.
        owned = {
            model._meta.verbose_name
            for model in (Address, CustomerKey, CustomerRefreshToken, CustomerSession)
        }
        return deleted, model_count, perms_needed - owned, protected

    # --- actions ----------------------------------------------------------------------------

    def _each(self, request: HttpRequest, queryset, write, done: str) -> None:
        """Apply `write` to each selected customer; report successes and refusals."""
        succeeded = 0
        for customer in queryset.select_related("store").order_by("pk"):
            try:
                write(customer)
            except (DomainError, ValidationError) as error:
                self.message_user(
                    request, f"{customer}: {describe(service_errors(error))}", messages.ERROR
                )
            else:
                succeeded += 1
        if succeeded:
            noun = "customer" if succeeded == 1 else "customers"
            self.message_user(request, f"{succeeded} {noun} {done}.", messages.SUCCESS)

    @admin.action(description="Enable selected customers", permissions=["change"])
    def enable_customers(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._each(
            request,
            queryset,
            lambda c: services.customer_set_state(customer=c, state=Customer.State.ENABLED),
            "enabled",
        )

    @admin.action(description="Disable selected customers", permissions=["change"])
    def disable_customers(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._each(
            request,
            queryset,
            lambda c: services.customer_set_state(customer=c, state=Customer.State.DISABLED),
            "disabled",
        )

    @admin.action(description="Anonymize selected customers", permissions=["change"])
    def anonymize_customers(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._each(
            request, queryset, lambda c: services.customer_anonymize(customer=c), "anonymized"
        )

    @admin.action(description="Soft delete selected customers", permissions=["change"])
    def soft_delete_customers(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._each(
            request, queryset, lambda c: services.customer_soft_delete(customer=c), "soft-deleted"
        )

    @admin.action(description="Restore selected soft-deleted customers", permissions=["change"])
    def restore_customers(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._each(request, queryset, lambda c: services.customer_restore(customer=c), "restored")

    @admin.action(description="Send a password-reset email", permissions=["change"])
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        self._each(
            request,
            queryset,
            lambda c: password_reset_send(customer=c),
            "sent a password-reset email",
        )

    @admin.action(description="Export selected customers as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse:
        left_out = queryset.filter(
            Q(deleted_at__isnull=False) | Q(anonymized_at__isnull=False)
        ).count()
        if left_out:
            # Shown on the next page staff open: the download itself carries no message.
            noun = "customer was" if left_out == 1 else "customers were"
            self.message_user(
                request,
                f"{left_out} soft-deleted or anonymized {noun} left out of the export, "
                "as export_customers leaves them out.",
                messages.WARNING,
            )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(
            export_csv_lines(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
        return response
