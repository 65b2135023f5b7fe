"""`manage.py replay_events`: send the events of a time range to a subscription again.

Each event is queued as a new delivery with the `webhook-id` it always had (the event's id),
so a receiver that already processed it can tell. Only events the subscription wants (types
and stores) are queued; `--until` is exclusive.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers.webhooks.models import Subscription
from customers.webhooks.services import events_replay


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name} must be an ISO 8601 date or date-time.") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


class Command(BaseCommand):
    help = "Queue the events of a time range for delivery to one subscription again."

    def add_arguments(self, parser):
        parser.add_argument("--subscription", required=True, help="The subscription's id.")
        parser.add_argument("--since", required=True, help="ISO 8601; naive means UTC.")
        parser.add_argument("--until", required=True, help="ISO 8601, exclusive; naive is UTC.")

    def handle(self, *args, subscription: str, since: str, until: str, **options):
        start, end = _moment(since, "--since"), _moment(until, "--until")
        if end <= start:
            raise CommandError("--until must be after --since.")
        try:
            target = Subscription.objects.get(pk=subscription)
        except (Subscription.DoesNotExist, ValidationError):
            raise CommandError(f"Unknown subscription {subscription!r}.") from None
        queued = events_replay(subscription=target, since=start, until=end)
        self.stdout.write(f"Queued {queued} event(s) for {target.url}.")
