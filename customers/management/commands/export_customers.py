"""`manage.py export_customers`: write every live customer, with addresses, as CSV or NDJSON.

Reads stores, customers and addresses only. The output is what `import_customers` reads back
into the same customers; with --with-password-hashes it holds the password hashes, so treat
that file as a secret.
"""

import functools

from django.core.management.base import CommandError

from customers.errors import StoreNotFound
from customers.exporting import EXPORT_FORMATS, export_customers_to
from customers.management.endings import OperatorCommand
from customers.selectors import store_get


class Command(OperatorCommand):
    help = "Export customers with their addresses as CSV or NDJSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="csv")
        parser.add_argument("--store", help="Store code (default: every store).")
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")
        parser.add_argument(
            "--with-password-hashes",
            action="store_true",
            help="Include each customer's password hash (the file becomes a secret).",
        )

    def handle(self, *args, **options):
        store = None
        if options["store"]:
            try:
                store = store_get(code=options["store"])
            except StoreNotFound:
                raise CommandError(f"Unknown store {options['store']!r}.", returncode=2) from None
        export = functools.partial(
            export_customers_to,
            file_format=options["format"],
            store=store,
            with_password_hashes=options["with_password_hashes"],
        )
        if options["output"]:
            try:
                stream = open(options["output"], "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as error:
                raise CommandError(
                    f"Cannot write {options['output']}: {error.strerror}.", returncode=2
                ) from None
            with stream:
                count = export(stream)
        else:
            # Every write ends with a newline, so the wrapper adds no line endings of its own.
            count = export(self.stdout)
        self.stderr.write(self.style.SUCCESS(f"Exported {count} customers."))
