"""`manage.py purge_tokens`: delete used or expired keys and dead refresh tokens.

Touches accounts' CustomerKey and CustomerRefreshToken tables and simplejwt's outstanding
(and, by cascade, blacklisted) staff tokens; only rows that can never be used again. It also
folds the pending live-customer deltas into the store rows (customers/live_totals.py).
"""

from django.core.management.base import BaseCommand

from accounts.purging import tokens_purge
from customers.live_totals import live_totals_fold


class Command(BaseCommand):
    help = "Delete used or expired keys and expired or revoked refresh tokens."

    def handle(self, *args, **options):
        result = tokens_purge()
        self.stdout.write(
            self.style.SUCCESS(
                f"Purged {result.keys} keys, {result.refresh_tokens} customer refresh tokens "
                f"and {result.staff_tokens} staff refresh tokens."
            )
        )
        folded = live_totals_fold()
        self.stdout.write(
            self.style.SUCCESS(f"Folded {folded} pending changes into the live customer totals.")
        )
