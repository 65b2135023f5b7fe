"""`manage.py create_store CODE NAME`: create a store (tenant), or report that it exists.

Touches the customers' Store table only, through `customers.services.store_create`; running
it again with the same code changes nothing.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers.services import store_create


class Command(BaseCommand):
    help = "Create a store with the given code (upper-case letters and digits) and name."

    def add_arguments(self, parser):
        parser.add_argument("code", help="Store code, e.g. DE (1 to 16 upper-case letters/digits)")
        parser.add_argument("name", help="Human-readable store name")
        parser.add_argument("--inactive", action="store_true", help="Create the store deactivated")

    def handle(self, *args, code: str, name: str, inactive: bool, **options):
        try:
            store, created = store_create(code=code, name=name, is_active=not inactive)
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            )
            raise CommandError(f"Invalid store: {problems}") from error
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created store {store.code} ({store.name})."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Store {store.code} already exists ({store.name}).")
            )
