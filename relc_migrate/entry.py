"""The console script's entry point: hold SIGTERM back from the first line, before anything heavy is imported.

Importing click, psycopg and the CLI takes a noticeable part of a run; a SIGTERM in that window used to kill the
process by the default action (exit 143, no JSON summary). Blocking the signal here keeps it pending instead:
``cli.run_command`` unblocks it once its handler is installed, so the signal is delivered then and the run ends
with exit 5 and the summary, as documented. Only the interpreter's own start, before this line, stays exposed.
"""

from __future__ import annotations

import signal


def main() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    from relc_migrate.cli import main as cli_main  # heavy: click, psycopg

    cli_main()
