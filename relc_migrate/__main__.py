"""``python -m relc_migrate`` runs the CLI (the tests' subprocess runners use it)."""

from relc_migrate.cli import main

main()
