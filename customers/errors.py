"""Domain errors of stores, groups and customers."""

from config.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class StoreNotFound(NotFound):
    code = "store_not_found"
    message = "Unknown tenant"


class StoreForbidden(PermissionDenied):
    code = "store_forbidden"
    message = "You may not access this store."


class CustomerGroupNotFound(InvalidInput):
    code = "customer_group_not_found"
    message = "Customer group does not exist."


class CustomerGroupProtected(Conflict):
    code = "customer_group_protected"
    message = "The default customer group cannot be deleted."


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    message = "Customer not found."


class EmailAlreadyUsed(Conflict):
    code = "customer_email_taken"
    message = "This email address is already used by another customer."


class PhoneAlreadyUsed(Conflict):
    code = "customer_phone_taken"
    message = "This phone number is already used by another customer."


class ReferenceAlreadyUsed(Conflict):
    code = "customer_reference_taken"
    message = "This customer reference is already used."


class StaffOnlyField(PermissionDenied):
    """A customer or an anonymous caller sent a field that only staff may set.

    `params["fields"]` lists the domain names sent, in STAFF_ONLY_FIELDS order.
    """

    code = "customer_field_staff_only"
    message = "Only staff may set this field."


class ReferenceImmutable(InvalidInput):
    code = "customer_reference_immutable"
    message = "A customer reference cannot be changed."


class TermsNotAccepted(InvalidInput):
    code = "terms_not_accepted"
    message = "The terms of service must be accepted."


class CustomerNotDeleted(Conflict):
    code = "customer_not_deleted"
    message = "Only a deleted customer can be restored."


class InvalidFilter(InvalidInput):
    """A list filter, ordering or page parameter has a value it cannot take."""

    code = "invalid_filter"
    message = "Invalid filter value."
