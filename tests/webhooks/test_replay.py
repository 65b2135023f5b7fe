"""`manage.py replay_events`: the events of a range, again, to one subscription."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db

AT = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def event(store, type_, at):
    return Event.objects.create(type=type_, store=store, payload={"type": type_}, created_at=at)


def test_replays_the_events_of_the_range_the_subscription_wants(
    store, other_store, make_subscription
):
    # given
    hook = make_subscription(events=["customer.created"], stores=["DE"])
    inside = event(store, "customer.created", AT)
    event(store, "customer.created", AT - timedelta(seconds=1))  # before
    event(store, "customer.created", AT + timedelta(hours=1))  # at --until: excluded
    event(store, "customer.updated", AT)  # another type
    event(other_store, "customer.created", AT)  # another store
    out = StringIO()

    # when
    call_command(
        "replay_events",
        "--subscription",
        str(hook.id),
        "--since",
        "2026-01-10T12:00:00Z",
        "--until",
        "2026-01-10T13:00:00",
        stdout=out,
    )

    # then
    delivery = Delivery.objects.get()
    assert (delivery.event, delivery.subscription, delivery.status) == (inside, hook, "pending")
    assert out.getvalue() == f"Queued 1 event(s) for {hook.url}.\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--since", "yesterday", "--until", "2026-01-11"],
            "--since must be an ISO 8601 date or date-time.",
        ),
        (["--since", "2026-01-11", "--until", "2026-01-10"], "--until must be after --since."),
    ],
)
def test_bad_ranges_are_refused(subscription, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("replay_events", "--subscription", str(subscription.id), *arguments)

    assert Delivery.objects.count() == 0


def test_an_unknown_subscription_is_refused(db):
    with pytest.raises(CommandError, match=re.escape("Unknown subscription 'nope'.")):
        call_command(
            "replay_events",
            "--subscription",
            "nope",
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-02",
        )
