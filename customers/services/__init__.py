"""Every write to stores and customers; callers import from here.

The package is split along its seams: `stores` (stores and groups), `rules` (the customer
rule table and validation), `uniqueness`, `references` (reference allocation), `lifecycle`
(one customer's writes), `inserts` (many validated customers at once) and `bulk` (the bulk
write service).
"""

from customers.services.bulk import (
    BulkMode,
    BulkResult,
    BulkRow,
    BulkStatus,
    customer_bulk_create_new,
    customer_bulk_row,
    customer_bulk_upsert,
)
from customers.services.inserts import (
    CopyReadyCustomers,
    customers_copy_format,
    customers_insert_batch,
    customers_rows_insert,
)
from customers.services.lifecycle import (
    ANONYMIZED_EMAIL_DOMAIN,
    STAFF_ONLY_FIELDS,
    customer_anonymize,
    customer_check_password,
    customer_create,
    customer_delete,
    customer_record_login,
    customer_restore,
    customer_set_state,
    customer_soft_delete,
    customer_staff_fields_refuse,
    customer_update,
)
from customers.services.references import references_assign
from customers.services.rules import (
    CUSTOMER_FIELDS,
    CUSTOMER_RULES,
    CustomerDraft,
    CustomerRow,
    customer_build,
    customer_row_build,
    customer_values_clean,
    with_default_state,
)
from customers.services.stores import (
    customer_group_delete,
    customer_groups_known,
    store_create,
    store_update,
)
from customers.services.uniqueness import (
    LOOKUP_CHUNK,
    customers_check_batch,
    raise_for_integrity_error,
)

__all__ = [
    "ANONYMIZED_EMAIL_DOMAIN",
    "CUSTOMER_FIELDS",
    "CUSTOMER_RULES",
    "LOOKUP_CHUNK",
    "STAFF_ONLY_FIELDS",
    "BulkMode",
    "BulkResult",
    "BulkRow",
    "BulkStatus",
    "CopyReadyCustomers",
    "CustomerDraft",
    "CustomerRow",
    "customer_anonymize",
    "customer_build",
    "customer_bulk_create_new",
    "customer_bulk_row",
    "customer_bulk_upsert",
    "customer_check_password",
    "customer_create",
    "customer_delete",
    "customer_group_delete",
    "customer_groups_known",
    "customer_record_login",
    "customer_restore",
    "customer_row_build",
    "customer_set_state",
    "customer_soft_delete",
    "customer_staff_fields_refuse",
    "customer_update",
    "customer_values_clean",
    "customers_check_batch",
    "customers_copy_format",
    "customers_insert_batch",
    "customers_rows_insert",
    "raise_for_integrity_error",
    "references_assign",
    "store_create",
    "store_update",
    "with_default_state",
]
