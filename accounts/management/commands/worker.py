"""`manage.py worker`: run the background tasks (emails) queued in the database.

A thin layer over django-tasks-db's worker (`db_worker`, every option of which it takes):
before it starts, it puts back on the queue the tasks a worker that died left running for
longer than `--abandoned-after` seconds (default `TASK_ABANDONED_AFTER`), so a killed worker
loses nothing; such a task runs again from its start (emails are sent at least once).
Touches only django-tasks-db's task result table.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.models import DBTaskResult


def tasks_requeue_abandoned(*, older_than: timedelta) -> int:
    """Put tasks left running since before `older_than` ago back on the queue; how many."""
    # One UPDATE: two workers starting together cannot both take the same task back.
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lte=timezone.now() - older_than
    ).update(status=TaskResultStatus.READY, started_at=None)


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background tasks queued in the database (emails), after requeuing abandoned ones."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--abandoned-after",
            type=float,
            default=None,
            help="Seconds after which a running task counts as abandoned by a dead worker "
            "(default: TASK_ABANDONED_AFTER).",
        )

    def handle(self, *args, abandoned_after: float | None = None, **options):
        seconds = settings.TASK_ABANDONED_AFTER if abandoned_after is None else abandoned_after
        requeued = tasks_requeue_abandoned(older_than=timedelta(seconds=seconds))
        if requeued:
            self.stdout.write(f"Put {requeued} abandoned task(s) back on the queue.")
        return super().handle(*args, **options)
