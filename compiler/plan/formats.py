"""The plan's renderings: markdown (a pull-request comment), json (stable, versioned: ``PLAN_FORMAT_VERSION``),
text, and github (the text plus workflow annotations on the risky lines). Deterministic: the same change prints
the same bytes, so a CI job can update one PR comment in place."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.diagnostics.report import OutputFormat, printable, render
from compiler.plan.diff import InstancePlan, Moved, Plan, Where

PLAN_FORMAT_VERSION = 1
"""The json format's version: bumped when a field changes meaning or goes away (new fields do not bump it)."""

COLLAPSE = 10
"""Lists longer than this are folded into a <details> block in markdown."""


class PlanFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"
    TEXT = "text"
    GITHUB = "github"


def summary(plan: Plan, problems: Sequence[Diagnostic]) -> str:
    count = {k: sum(len(getattr(i, k)) for i in plan.instances) for k in ("moved", "added", "removed")}
    changes = [c for i in plan.instances for mv in i.moved for c in mv.services]
    steps = [s for c in changes for s in c.steps]
    errors = sum(1 for d in problems if d.is_error)
    touched = sum(1 for i in plan.instances if not i.empty())
    return (
        f"{count['moved']} tenant(s) moved, {count['added']} added, {count['removed']} removed in {touched} "
        f"instance(s); {len(steps)} migration file(s) ({sum(s.destructive for s in steps)} destructive), "
        f"{sum(c.downgrade for c in changes)} downgrade(s); "
        + (
            f"{plan.files} rendered file(s) change; "
            if plan.compared
            else "rendered files not compared (the base is invalid); "
        )
        + (f"{errors} policy error(s)" if errors else "policies pass")
    )


def render_plan(plan: Plan, problems: Sequence[Diagnostic], fmt: PlanFormat) -> str:
    if fmt is PlanFormat.JSON:
        return json.dumps(to_json(plan, problems), indent=2, sort_keys=True) + "\n"
    if fmt is PlanFormat.MARKDOWN:
        return _markdown(plan, problems)
    text = _text(plan, problems)
    if fmt is PlanFormat.GITHUB:
        return render(problems, OutputFormat.GITHUB) + "".join(_risks(plan)) + text
    return text


# --- json ----------------------------------------------------------------------------------------------------


def _where(at: Where | None) -> dict[str, Any] | None:
    return None if at is None else {"file": at.file, "line": at.line}


def _moved_json(m: Moved) -> dict[str, Any]:
    return {
        "tenant": m.tenant,
        "at": _where(m.at),
        "from": m.before,
        "to": m.after,
        "downgradeAllowed": m.downgrade_allowed,
        "services": [
            {
                "service": c.service,
                "from": c.before,
                "to": c.after,
                "downgrade": c.downgrade,
                "destructive": c.destructive,
                "backup": c.backup,
                "migrations": [
                    {"file": s.file, "version": s.version, "destructive": s.destructive, "rollback": s.rollback}
                    for s in c.steps
                ],
            }
            for c in m.services
        ],
    }


def to_json(plan: Plan, problems: Sequence[Diagnostic]) -> dict[str, Any]:
    return {
        "version": PLAN_FORMAT_VERSION,
        "base": {"commit": plan.base, "description": plan.base_label},
        "summary": summary(plan, problems),
        "renderedFilesChanged": plan.files,
        "fleetWide": {"renderedFilesChanged": plan.fleet_wide.files if plan.compared else None},
        "instances": [
            {
                "name": i.name,
                "added": [
                    {
                        "tenant": a.tenant,
                        "at": _where(a.at),
                        "candidate": a.candidate,
                        "databases": list(a.databases),
                        "schemas": list(a.schemas),
                    }
                    for a in i.added
                ],
                "removed": [
                    {
                        "tenant": r.tenant,
                        "at": _where(r.at),
                        "candidate": r.candidate,
                        "deletionMode": r.mode,
                        "gracePeriod": r.grace_period,
                        "databases": list(r.databases),
                        "when": r.when,
                    }
                    for r in i.removed
                ],
                "moved": [_moved_json(m) for m in i.moved],
                "candidates": {
                    "deployed": i.deployed,
                    "undeployed": [
                        {"candidate": u.candidate, "warmElsewhere": list(u.warm_elsewhere)} for u in i.undeployed
                    ],
                    "retired": i.retired,
                },
                "applications": {"created": i.rendered.created, "deleted": i.rendered.deleted},
                "routing": i.rendered.routing,
                "renderedFilesChanged": i.rendered.files if plan.compared else None,
            }
            for i in plan.instances
            if not i.empty()
        ],
        "diagnostics": [d.to_dict() for d in problems],
    }


# --- text and markdown -----------------------------------------------------------------------------------------


def _service_line(m: Moved) -> Iterator[str]:
    for c in m.services:
        tags = [
            t
            for t, on in (("DOWNGRADE", c.downgrade), ("destructive", c.destructive), ("backup first", c.backup))
            if on
        ]
        yield f"{c.service} {c.before} → {c.after}" + (f" ({', '.join(tags)})" if tags else "")
        for s in c.steps:
            what = "ROLLBACK of " if c.downgrade else ""
            flag = " [destructive]" if s.destructive else ""
            missing = " (no ROLLBACK section: relc-migrate refuses)" if c.downgrade and not s.rollback else ""
            yield f"  {what}{s.file}{flag}{missing}"


def _items(i: InstancePlan) -> Iterator[tuple[str, list[str]]]:
    """(heading, lines) of one Instance's plan, in a fixed order, empty sections left out."""
    sections: list[tuple[str, list[str]]] = [
        (
            "Tenants moved",
            [
                line
                for m in i.moved
                for line in [f"{m.tenant}: {m.before} → {m.after}", *("  " + s for s in _service_line(m))]
            ],
        ),
        (
            "Tenants added",
            [
                f"{a.tenant} on {a.candidate}: provisions {', '.join(a.databases)}"
                + (f" (schemas {', '.join(a.schemas)})" if a.schemas else "")
                for a in i.added
            ],
        ),
        (
            "Tenants removed",
            [
                f"{r.tenant} (was on {r.candidate}): deletion {r.mode}, grace period {r.grace_period}: "
                f"{', '.join(r.databases)} {r.when}"
                for r in i.removed
            ],
        ),
        ("Candidates deployed", i.deployed),
        (
            "Candidates undeployed",
            [
                f"{u.candidate} will be undeployed from {i.name}"  # the words relc compile prints
                + (f" (still warm in {', '.join(u.warm_elsewhere)})" if u.warm_elsewhere else "")
                for u in i.undeployed
            ],
        ),
        ("Candidates retired", i.retired),
        ("Applications created", i.rendered.created),
        ("Applications deleted", i.rendered.deleted),
        ("Routing files changed", i.rendered.routing),
    ]
    yield from ((h, lines) for h, lines in sections if lines)


def _text(plan: Plan, problems: Sequence[Diagnostic]) -> str:
    out = [f"relc plan against {plan.base[:12]} ({plan.base_label}): {summary(plan, problems)}"]
    for i in plan.instances:
        if i.empty():
            continue
        out.append(f"\ninstance {i.name}" + (f": {i.rendered.files} rendered file(s) change" if plan.compared else ""))
        for heading, lines in _items(i):
            out.append(f"  {heading}:")
            out += [f"    {printable(line)}" for line in lines]
    if plan.fleet_wide.files:
        out.append(f"\nfleet-wide: {plan.fleet_wide.files} rendered file(s) change (registry, CRDs, root Applications)")
    if problems:
        out.append("")
        out.append(render(problems, OutputFormat.TEXT).rstrip("\n"))
    return "\n".join(out) + "\n"


def _markdown(plan: Plan, problems: Sequence[Diagnostic]) -> str:
    errors = [d for d in problems if d.is_error]
    mark = "❌" if errors else "✅"
    out = [f"{mark} **relc plan**: {summary(plan, problems)}", ""]
    out.append(f"Base: `{plan.base[:12]}` ({plan.base_label}).")
    if problems:
        out += ["", "#### Policies and diagnostics", ""]
        out += [
            f"- `{d.file}:{d.line}` **{d.code}** {_md(d.message)}" + (f" — {_md(d.hint)}" if d.hint else "")
            for d in problems
        ]
    for i in plan.instances:
        if i.empty():
            continue
        out += ["", f"### Instance `{i.name}`"]
        if plan.compared:
            out += ["", f"{i.rendered.files} rendered file(s) change."]
        for heading, lines in _items(i):
            body = [_md_item(line) for line in lines]
            out.append("")
            if len(lines) > COLLAPSE:
                out += [f"<details><summary>{heading} ({len(lines)})</summary>", "", *body, "", "</details>"]
            else:
                out += [f"**{heading}**", "", *body]
    if plan.fleet_wide.files:
        out += ["", f"Fleet-wide (registry, CRDs, root Applications): {plan.fleet_wide.files} rendered file(s) change."]
    return "\n".join(out) + "\n"


def _md_item(line: str) -> str:
    """A plan line as a markdown list item, nested by its indent (two spaces a level)."""
    depth = (len(line) - len(line.lstrip(" "))) // 2
    return "  " * depth + "- " + _md(line)


def _md(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("<", "&lt;").strip()


# --- github annotations ------------------------------------------------------------------------------------------


def _annotation(at: Where | None, title: str, message: str) -> str:
    where = f"file={at.file},line={at.line}," if at is not None else ""
    body = printable(message).replace("%", "%25").replace("\n", "%0A")
    return f"::warning {where}title={title}::{body}\n"


def _risks(plan: Plan) -> Iterator[str]:
    """A warning on the tenant file's line for each risky step: a destructive migration, a downgrade, a candidate
    undeployed here that another Instance keeps warm."""
    for i in plan.instances:
        for m in i.moved:
            for c in m.services:
                if c.downgrade:
                    yield _annotation(
                        m.at,
                        "relc plan downgrade",
                        f"{m.tenant}: {c.service} {c.before} → {c.after} runs the ROLLBACK sections of "
                        f"{len(c.steps)} file(s)",
                    )
                if c.destructive:
                    files = ", ".join(s.file for s in c.steps if s.destructive)
                    yield _annotation(
                        m.at,
                        "relc plan destructive migration",
                        f"{m.tenant}: {c.service} {c.after} runs a destructive migration ({files})",
                    )
        for u in i.undeployed:
            if u.warm_elsewhere:
                yield _annotation(
                    u.at,
                    "relc plan undeployed candidate",
                    f"{u.candidate} is undeployed in {i.name} but still warm in {', '.join(u.warm_elsewhere)}",
                )
