"""Domain errors of customer addresses."""

from config.errors import NotFound


class AddressNotFound(NotFound):
    code = "address_not_found"
    message = "Address not found."
