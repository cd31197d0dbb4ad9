"""``python -m relc_migrate`` runs the CLI (the tests' subprocess runners use it), through the same entry point
as the console script (SIGTERM is held back during start-up)."""

from relc_migrate.entry import main

main()
