"""A task for tests/accounts/test_worker.py: it holds until released, like a slow send."""

import time
from pathlib import Path

from django_tasks import task


@task()
def hold_until_released(*, folder: str) -> str:
    here = Path(folder)
    runs = here / "runs"
    runs.write_text(runs.read_text() + "started\n" if runs.exists() else "started\n")
    while not (here / "release").exists():
        time.sleep(0.05)
    (here / "done").write_text("done")
    return "done"
