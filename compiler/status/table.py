"""The text of ``relc status``: one table of candidates grouped under their Instance, then the warnings, in at
most 100 columns.

Why this layout: an Instance's facts (cluster, environment, release, tenants) are said once, on its own line,
so the candidate columns keep the width for the names; a name still too long for its column is cut in the
middle (``droneup-shar…ture-2025-06``), because names differ at both ends: a blueprint prefix, a date suffix.
Headings and warnings are sentences, wrapped at the same width.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from compiler.model.kinds import CandidateStatus
from compiler.status.summary import CandidateRow, InstanceRow, Status

WIDTH = 100
INDENT = "  "
GAP = "  "
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    right: bool = False  # numbers align right


COLUMNS = (Column("CANDIDATE"), Column("STATE"), Column("TENANTS", right=True), Column("END OF LIFE"))
"""The first (the name) takes whatever width the others leave: they are short by construction."""


def text(status: Status) -> str:
    counts = (_n(len(status.instances), "instance"), _n(status.tenants, "tenant"), _n(status.candidates, "candidate"))
    lines = [f"{', '.join(counts)} on {status.today.isoformat()}", ""]
    rows = [[_cells(c) for c in instance.candidates] for instance in status.instances]
    widths = _widths([cells for group in rows for cells in group])
    lines.append(INDENT + _line([col.title for col in COLUMNS], widths))
    for instance, group in zip(status.instances, rows, strict=True):
        lines += textwrap.wrap(_heading(instance), WIDTH, subsequent_indent=INDENT * 2, break_on_hyphens=False)
        lines += [INDENT + _line(cells, widths) for cells in group]
    lines.append("")
    if status.warnings:
        lines.append(f"{_n(len(status.warnings), 'warning')}:")
        for w in status.warnings:
            lines += textwrap.wrap(
                f"{w.instance}: {w.message}",
                WIDTH,
                initial_indent=INDENT,
                subsequent_indent=INDENT * 3,
                break_on_hyphens=False,
            )
    else:
        lines.append(f"no warnings (deprecations, ends of life within {status.near_days} days, drafts)")
    if status.errors or status.diagnostics_warnings:
        lines.append(
            f"relc validate finds {_n(status.errors, 'error')} and {_n(status.diagnostics_warnings, 'warning')}"
            " in the fleet"
        )
    return "\n".join(lines) + "\n"


def _heading(i: InstanceRow) -> str:
    roles = ", ".join(_n(n, role) for n, role in ((i.operators, "Operator"), (i.agents, "Agent")) if n)
    tenants = _n(i.operators + i.agents, "tenant") + (f" ({roles})" if roles else "")
    return f"{i.name}: {i.environment} on {i.cluster}, release {i.global_release}, {tenants}"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _cells(c: CandidateRow) -> list[str]:
    state = f"{c.state.value}, draft" if c.status is CandidateStatus.DRAFT else c.state.value
    return [c.name, state, f"{len(c.tenants):,}", _eol(c)]


def _eol(c: CandidateRow) -> str:
    if c.end_of_life is None or c.days_left is None:
        return "-"
    when = f"{-c.days_left} d ago" if c.days_left < 0 else f"in {c.days_left} d"
    return f"{c.end_of_life.isoformat()} ({when})"


def _widths(rows: Sequence[Sequence[str]]) -> list[int]:
    """Natural widths; the name column gives up what the line lacks (never below its title's width)."""
    widths = [max([len(col.title), *(len(r[i]) for r in rows)]) for i, col in enumerate(COLUMNS)]
    over = len(INDENT) + sum(widths) + len(GAP) * (len(widths) - 1) - WIDTH
    if over > 0:
        widths[0] = max(len(COLUMNS[0].title), widths[0] - over)
    return widths


def cut(value: str, width: int) -> str:
    """``value`` in ``width`` characters: whole, or its start and end around an ellipsis."""
    if len(value) <= width:
        return value
    keep = width - len(ELLIPSIS)
    head = (keep + 1) // 2
    return value[:head] + ELLIPSIS + value[len(value) - (keep - head) :]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    parts = [
        cut(cell, w).rjust(w) if col.right else cut(cell, w).ljust(w)
        for cell, w, col in zip(cells, widths, COLUMNS, strict=True)
    ]
    return GAP.join(parts).rstrip()
