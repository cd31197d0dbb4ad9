"""How a migration file is named and marked for rollback.

The compiler plans (and lints) migrations folders and relc-migrate runs them; both must read the same file names
as the same version and the same ``-- ROLLBACK:`` marker, or a plan would show steps the Job never runs.
"""

from __future__ import annotations

import re
from typing import Final

# --- migration files ---------------------------------------------------------------------------------------

#: A migration file's name: ``V<major>.<minor>.<patch>__<NN>_<description>.sql``, the service release that ships
#: it, its order within that release and a snake_case description. relc-migrate applies files by (version, NN);
#: ``relc plan`` lists the files a pin move will run by the same rule, so both read names here.
MIGRATION_FILE_RE: Final = re.compile(
    r"V(?P<version>(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?)__(?P<order>\d{2})_"
    r"(?P<description>[a-z0-9]+(_[a-z0-9]+)*)\.sql"
)
#: The line that starts a file's ROLLBACK section: the SQL relc-migrate stores at apply time and runs, newest
#: file first, when a tenant moves to a candidate pinning a lower version of the service.
ROLLBACK_MARKER_RE: Final = re.compile(r"--\s*ROLLBACK:\s*")


def migration_file_name(name: str) -> tuple[str, int, str] | None:
    """(version text, NN, description) of a well-named migration file, or None. Versions compare as SemVer,
    which this standard-library package leaves to its callers."""
    match = MIGRATION_FILE_RE.fullmatch(name)
    if match is None:
        return None
    return match["version"], int(match["order"]), match["description"]


def has_rollback(text: str) -> bool:
    """The file has a ``-- ROLLBACK:`` line (relc-migrate's linter refuses a file without exactly one)."""
    return any(ROLLBACK_MARKER_RE.fullmatch(line.strip()) for line in text.splitlines())
