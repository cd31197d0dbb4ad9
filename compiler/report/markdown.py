"""``--format markdown``: the fleet's summary for a wiki page or a pull request comment.

A summary, not the full matrix: versions depend only on the candidate, so the table per Instance is
candidates by components with tenant counts; then what is behind, what blocks retirements, the timeline, the
migration orders, and with ``--status`` every failed, blocked or missing schema. Cell text is escaped (``|``,
backticks, newlines) since tenant and app names are user input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from compiler.render.output import RenderedFile
from compiler.report.facts import CandidateFacts, InstanceFacts, Report, TenantFacts

FILE = "report.md"
MAX_LISTED = 50
"""Tenants named in one list before "and N more": a PR comment of 10,000 names helps nobody."""


def markdown_files(report: Report) -> list[RenderedFile]:
    return [RenderedFile(FILE, raw=markdown(report).encode("utf-8"))]


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("\n", " ")


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def markdown(report: Report) -> str:
    candidates = {c.name: c for c in report.candidates}
    by_instance: dict[str, list[TenantFacts]] = {}
    for tenant in report.tenants:
        by_instance.setdefault(tenant.instance, []).append(tenant)
    out = ["# Fleet report", ""]
    if report.today:
        out += [f"As of {report.today}.", ""]
    out += _table(
        ["Instance", "environment", "tenants", "Operators", "Agents", "deployed candidates", "warnings"],
        (
            [i.name, i.environment, i.tenants, i.operators, i.agents, _deployed(i), len(i.warnings)]
            for i in report.instances
        ),
    )
    for instance in report.instances:
        out += _instance(instance, candidates, by_instance.get(instance.name, []), report.status_given)
    out += ["## Candidates", ""]
    out += _table(
        ["candidate", "role", "status", "tenants", "end of life", "migration order", "destructive"],
        (_candidate_row(c) for c in report.candidates),
    )
    return "\n".join(out)


def _deployed(instance: InstanceFacts) -> str:
    return ", ".join(f"{u.name} ({u.tenants})" for u in instance.candidates if u.deployed) or "-"


def _state(instance: InstanceFacts, name: str) -> str:
    use = next(u for u in instance.candidates if u.name == name)
    states = [s for s, on in (("offered", use.offered), ("deployed", use.deployed), ("warm", use.warm)) if on]
    return ", ".join([*states, *(["retired"] if use.retired else [])])


def _instance(
    instance: InstanceFacts, candidates: dict[str, CandidateFacts], tenants: list[TenantFacts], status: bool
) -> list[str]:
    title = f"## Instance {instance.name}" + (f" ({instance.display_name})" if instance.display_name else "")
    out = [title, ""]
    head = ["candidate", "state", "tenants", *instance.components]
    rows = []
    for use in instance.candidates:
        pins = candidates[use.name].components if use.name in candidates else {}
        rows.append(
            [use.name, _state(instance, use.name), use.tenants, *(pins.get(c, "-") for c in instance.components)]
        )
    out += _table(head, rows)
    timeline = [
        (u.name, candidates[u.name])
        for u in instance.candidates
        if u.name in candidates and candidates[u.name].deprecation
    ]
    if timeline:
        out += ["Deprecation timeline:", ""]
        rows = []
        for name, facts in timeline:
            line = facts.deprecation
            assert line is not None
            days = "" if line.days_left is None else str(line.days_left)
            rows.append(
                [name, line.notify_date or "-", line.end_of_life, days, _names(_blockers(instance, name)) or "-"]
            )
        out += _table(["candidate", "notify", "end of life", "days left", "blocks retiring"], rows)
    behind = [t for t in tenants if any(t.behind.values())]
    if behind:
        out += [f"Behind the newest offered versions: {_names([t.name for t in behind])}.", ""]
    if instance.warnings:
        out += [*(f"- {_cell(w)}" for w in instance.warnings), ""]
    if status:
        trouble = [(t, s) for t in tenants for s in t.schemas if s.status in ("failed", "blocked", "missing")]
        if trouble:
            out += _table(
                ["tenant", "database", "schema", "pinned", "actual", "status", "reason"],
                (
                    [t.name, s.database, s.schema, s.pinned, s.actual or "-", s.status or "-", s.reason or ""]
                    for t, s in trouble
                ),
            )
        else:
            out += ["Every schema runs as relc-migrate reports: nothing failed, blocked or missing.", ""]
    return out


def _blockers(instance: InstanceFacts, name: str) -> list[str]:
    return list(next(u for u in instance.candidates if u.name == name).blockers)


def _candidate_row(c: CandidateFacts) -> list[object]:
    eol = c.deprecation.end_of_life if c.deprecation else "-"
    return [
        c.name,
        c.role,
        c.status,
        c.tenants,
        eol,
        " → ".join(c.migration_order) or "-",
        ", ".join(c.destructive) or "-",
    ]
