"""How the operators' commands end on a command line: a plain sentence and an exit status.

Django prints a `CommandError` as "CommandError: <message>", which reads like a crash;
these commands print the sentence alone and exit with its `returncode` (1: some rows were
rejected, 2: a usage or file error). A reader that closes the output pipe early
(`export_customers | head`) ends the command quietly, as it ends `cat` or `yes`.
"""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

# What a shell reports for a process ended by SIGPIPE (128 + 13), as `set -o pipefail` sees it.
EXIT_PIPE_CLOSED = 141


class OperatorCommand(BaseCommand):
    """A management command with plain endings when run from the command line.

    `call_command` (tests, other code) still gets the `CommandError` itself.
    """

    _from_command_line = False

    def run_from_argv(self, argv: list[str]) -> None:
        self._from_command_line = True
        try:
            super().run_from_argv(argv)
        except BrokenPipeError:
            # Python would report the pipe again when it flushes stdout on the way out:
            # point stdout at /dev/null first.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_PIPE_CLOSED)

    def execute(self, *args, **options):
        if not self._from_command_line or options.get("traceback"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            self.stderr.write(str(error), self.style.ERROR)
            sys.exit(error.returncode)
