"""The edit commands: ``relc pin``, ``relc promote``, ``relc tenant add`` and ``relc tenant remove``.

Each finds what it changes in the fleet as loaded, builds the overlay in memory and hands it to
:func:`compiler.edit.apply.finish`, which analyses, refuses or writes, and prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from compiler.app import Console, load_fleet, unknown
from compiler.diagnostics import ExitCode, UsageError
from compiler.edit.apply import Outcome, checked_path, find_tenant, finish
from compiler.edit.tenantfile import NewTenant, tenant_text
from compiler.edit.waves import Member, wave
from compiler.edit.yamledit import NotEditable, add_true_after, set_scalar
from compiler.fanout import EDIT_THRESHOLD, Workers, fan_out
from compiler.load.parallel import ParseCache
from compiler.model.common import Duration, Name
from compiler.model.fleet import Entry, Fleet
from compiler.model.kinds import DeletionMode, Tenant, TenantRole
from compiler.options import PinOptions, PromoteOptions, TenantAddOptions, TenantRemoveOptions
from compiler.render.tenantplan import tenant_databases

PIN_FIELD = ("spec", "releaseCandidate")


@dataclass(frozen=True, slots=True)
class Move:
    """One tenant's pin changing: where (file and line of spec.releaseCandidate) and from what to what."""

    instance: str
    tenant: str
    file: str
    line: int
    source: str
    to: str

    def to_dict(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "tenant": self.tenant,
            "file": self.file,
            "line": self.line,
            "from": self.source,
            "to": self.to,
        }

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.instance}/{self.tenant}: {self.source} -> {self.to}"


def _move(entry: Entry[Tenant], to: str) -> tuple[Move, str]:
    """The move of ``entry`` to ``to`` and the file's new text (one line changed)."""
    doc = entry.doc
    try:
        text, line = set_scalar(doc.source.text, PIN_FIELD, to)
    except NotEditable as exc:
        raise UsageError(f"cannot edit {doc.path}: {exc}", "change spec.releaseCandidate by hand") from exc
    spec = entry.obj.spec
    return Move(spec.instance, entry.obj.metadata.name, doc.path, line, spec.release_candidate, to), text


def _moves(entries: list[Entry[Tenant]], to: str, workers: Workers) -> list[tuple[Move, str]]:
    """:func:`_move` for each entry, on ``workers`` from :data:`EDIT_THRESHOLD` files (a 100% wave at 10,000
    tenants edits thousands), in the entries' order."""

    def share(part: Sequence[Entry[Tenant]]) -> list[tuple[Move, str]]:
        return [_move(entry, to) for entry in part]

    parts = fan_out(share, entries, workers=workers.count, threshold=workers.threshold(EDIT_THRESHOLD))
    return [edit for part in parts for edit in part]


def _candidate(fleet: Fleet, name: str) -> None:
    if name not in fleet.candidates:
        raise unknown("release candidate", name, fleet.candidates)


def pin(opts: PinOptions, console: Console) -> ExitCode:
    """Move the named tenants to ``opts.to``: one changed line per tenant file."""
    parses: ParseCache = {}
    fleet, _ = load_fleet(opts.edit.root, opts.edit.workers, parses=parses)
    _candidate(fleet, opts.to)
    entries = {id(e): e for e in (find_tenant(fleet, name, opts.instance) for name in opts.tenants)}.values()
    outcome = Outcome("pin", data={"to": opts.to})
    todo = [e for e in entries if e.obj.spec.release_candidate != opts.to]
    already = [f"{e.obj.spec.instance}/{e.obj.metadata.name}" for e in entries if e not in todo]
    edited = _moves(todo, opts.to, opts.edit.workers)
    moves = [move for move, _ in edited]
    overlay: dict[str, str | None] = {move.file: text for move, text in edited}
    outcome.lines += [m.describe() for m in moves] + [f"{name}: already on {opts.to}" for name in already]
    outcome.data.update(moves=[m.to_dict() for m in moves], unchanged=already)
    return finish(opts.edit, console, overlay, outcome, write=True, parses=parses)


def promote(opts: PromoteOptions, console: Console) -> ExitCode:
    """Move a wave of the tenants on ``opts.source`` to ``opts.to`` (see compiler.edit.waves for the rule)."""
    parses: ParseCache = {}
    fleet, _ = load_fleet(opts.edit.root, opts.edit.workers, parses=parses)
    _candidate(fleet, opts.source)
    _candidate(fleet, opts.to)
    if opts.instance is not None and opts.instance not in fleet.instances:
        raise unknown("Instance", opts.instance, fleet.instances)
    if opts.source == opts.to:
        raise UsageError(f"--from and --to are both '{opts.to}'", "name the candidate the tenants move to")
    if opts.tenants:
        chosen = [find_tenant(fleet, name, opts.instance) for name in opts.tenants]
        for entry in chosen:
            pinned = entry.obj.spec.release_candidate
            if pinned != opts.source:
                raise UsageError(
                    f"tenant '{entry.obj.metadata.name}' pins '{pinned}', not '{opts.source}'",
                    "promote moves tenants off --from only: use relc pin for this one",
                )
        population = len(chosen)
        how = f"the {population} tenant(s) named"
    else:
        members = _population(fleet, opts)
        picked = wave(members, opts.to, opts.percent)
        chosen = [fleet.tenants[m.key] for m in picked if m.candidate == opts.source]
        population = len(members)
        how = (
            f"wave {opts.percent:g}% of {population} tenant(s) on {opts.source} or {opts.to}"
            f" = {len(picked)}, {len(picked) - len(chosen)} of them already on {opts.to}"
        )
    chosen.sort(key=lambda e: (e.obj.spec.role is not TenantRole.OPERATOR, e.obj.spec.instance, e.obj.metadata.name))
    edited = _moves(chosen, opts.to, opts.edit.workers)
    moves = [move for move, _ in edited]
    overlay: dict[str, str | None] = {move.file: text for move, text in edited}
    notes = _operators_left(fleet, chosen, opts.source)
    head = f"promote {opts.source} -> {opts.to}: {how}; {len(moves)} to move" + (" (dry run)" if opts.dry_run else "")
    outcome = Outcome("promote", [head, *(f"  {m.describe()}" for m in moves), *(f"  note: {n}" for n in notes)])
    outcome.data.update(
        {"from": opts.source, "to": opts.to, "wave": opts.percent if not opts.tenants else None},
        population=population,
        moves=[m.to_dict() for m in moves],
        notes=notes,
        dryRun=opts.dry_run,
    )
    return finish(opts.edit, console, overlay, outcome, write=not opts.dry_run, parses=parses)


def _population(fleet: Fleet, opts: PromoteOptions) -> list[Member]:
    """The live tenants in scope on either candidate, in a fixed order (the wave order is computed from it)."""
    selector = opts.selector
    members = []
    for (instance, name), entry in sorted(fleet.tenants.items()):
        spec = entry.obj.spec
        if opts.instance not in (None, instance) or spec.release_candidate not in (opts.source, opts.to):
            continue
        if spec.removed:
            continue  # a tombstone is routed nowhere: there is nothing of it to promote
        if selector.role not in (None, spec.role) or selector.operator not in (None, spec.operator):
            continue
        members.append(Member((instance, name), spec.role, spec.release_candidate))
    return members


def _operators_left(fleet: Fleet, chosen: list[Entry[Tenant]], source: str) -> list[str]:
    """Agents moved while their Operator stays on ``source`` (only --tenants or --selector can leave one behind:
    a wave orders Operators first). Allowed (the candidate is offered to the Agent either way), but said."""
    moving = {(e.obj.spec.instance, e.obj.metadata.name) for e in chosen}
    notes = []
    for entry in chosen:
        spec = entry.obj.spec
        if spec.operator is None:
            continue
        operator = fleet.tenants.get((spec.instance, spec.operator))
        if (
            operator is not None
            and operator.obj.spec.release_candidate == source
            and (spec.instance, spec.operator) not in moving
        ):
            notes.append(
                f"{spec.instance}/{entry.obj.metadata.name} moves before its Operator {spec.operator},"
                f" which stays on {source}"
            )
    return notes


_NAME: TypeAdapter[str] = TypeAdapter(Name)
_DURATION: TypeAdapter[str] = TypeAdapter(Duration)


def _checked(adapter: TypeAdapter[str], value: str, option: str, hint: str) -> str:
    """``value`` checked as the model checks the field it becomes (before it becomes a file path)."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise UsageError(f"{option} {exc.errors()[0]['msg']}", hint) from exc


def tenant_add(opts: TenantAddOptions, console: Console) -> ExitCode:
    """Write the new tenant's file (tenants/<instance>/<name>.yaml), validated with the whole fleet first."""
    name = _checked(_NAME, opts.name, "NAME", "a tenant's name becomes its namespace, file and database names")
    grace = _checked(_DURATION, opts.grace_period, "--grace-period", "for example 30d, 12h or 2w")
    parses: ParseCache = {}
    fleet, _ = load_fleet(opts.edit.root, opts.edit.workers, parses=parses)
    if opts.instance not in fleet.instances:
        raise unknown("Instance", opts.instance, fleet.instances)
    _candidate(fleet, opts.candidate)
    if opts.role is TenantRole.AGENT and opts.operator is None:
        raise UsageError("an Agent needs --operator", f"name its Operator: one of {_operators(fleet, opts.instance)}")
    if opts.role is TenantRole.OPERATOR and opts.operator is not None:
        raise UsageError("an Operator has no --operator", "leave --operator out, or add the tenant as --role Agent")
    new = NewTenant(
        name,
        opts.instance,
        opts.candidate,
        opts.role,
        opts.operator,
        opts.display_name if opts.display_name is not None else name,
        opts.backup_before_migration,
        opts.deletion,
        grace,
    )
    if checked_path(opts.edit.root, new.path).exists() or (opts.instance, name) in fleet.tenants:
        raise UsageError(f"tenant '{name}' already exists in Instance '{opts.instance}'", "choose another name")
    outcome = Outcome("tenant add", [f"{new.path}: {opts.instance}/{name}: {_role(new)}, pinned to {new.candidate}"])
    outcome.data.update(tenant=name, instance=opts.instance, file=new.path, candidate=new.candidate)
    return finish(opts.edit, console, {new.path: tenant_text(new)}, outcome, write=True, parses=parses)


def _role(new: NewTenant) -> str:
    return f"an Agent of {new.operator}" if new.role is TenantRole.AGENT else "an Operator"


def _operators(fleet: Fleet, instance: str) -> str:
    found = [e.obj.metadata.name for e in fleet.tenants_of(instance) if e.obj.spec.role is TenantRole.OPERATOR]
    return ", ".join(found) or "(none yet: add the Operator first)"


def tenant_remove(opts: TenantRemoveOptions, console: Console) -> ExitCode:
    """Mark the tenant removed (``spec.removed: true``, a tombstone: one added line), once the caller has stated
    the deletion mode it declares. The tombstone's compile renders no routes and only the deprovision Jobs of
    that policy (relc-migrate deprovision); a later change deletes the file once they are done."""
    parses: ParseCache = {}
    fleet, _ = load_fleet(opts.edit.root, opts.edit.workers, parses=parses)
    entry = find_tenant(fleet, opts.name, opts.instance)
    spec = entry.obj.spec
    declared = spec.policies.deletion
    where = f"{spec.instance}/{entry.obj.metadata.name}"
    if spec.removed:
        raise UsageError(
            f"tenant {where} is already removed ({entry.doc.path} is its tombstone)",
            "delete the file in a later change, once its deprovision Jobs are done (README: Removing a tenant)",
        )
    if opts.deletion is not declared.mode:
        said = f"--deletion {opts.deletion.value}" if opts.deletion is not None else "no --deletion"
        raise UsageError(
            f"tenant {where} declares deletion mode '{declared.mode.value}' (grace period {declared.grace_period}),"
            f" and the command says {said}",
            f"pass --deletion {declared.mode.value} to remove it under that policy; for another mode, change"
            f" spec.policies.deletion.mode in {entry.doc.path} in a pull request of its own first, and remove the"
            " tenant once Argo CD has synced it",
        )
    agents = sorted(
        e.obj.metadata.name for e in fleet.tenants_of(spec.instance) if e.obj.spec.operator == entry.obj.metadata.name
    )  # the analysis refuses the removal at each Agent's spec.operator; this line names them together
    effect = _deletion_effect(entry)
    still = [f"  {where} is the Operator of {len(agents)} Agent(s): {', '.join(agents)}"] if agents else []
    try:
        tombstone, line = add_true_after(entry.doc.source.text, PIN_FIELD, "removed")
    except NotEditable as exc:
        raise UsageError(f"cannot edit {entry.doc.path}: {exc}", "add 'removed: true' to its spec by hand") from exc
    outcome = Outcome("tenant remove", [f"{entry.doc.path}:{line}: {where} marked removed", *still, *effect])
    outcome.data.update(
        tenant=entry.obj.metadata.name,
        instance=spec.instance,
        file=entry.doc.path,
        deletion={"mode": declared.mode.value, "gracePeriod": declared.grace_period},
        databases=_databases(entry),
        agents=agents,
        effect=[line.strip() for line in effect],
    )
    return finish(opts.edit, console, {entry.doc.path: tombstone}, outcome, write=True, parses=parses)


def _databases(entry: Entry[Tenant]) -> list[str]:
    return tenant_databases(entry.obj)


def _deletion_effect(entry: Entry[Tenant]) -> list[str]:
    """What the deletion policy does once the removal is merged and synced, in the words of relc-migrate's
    deprovision modes (README: relc-migrate, Commands)."""
    deletion = entry.obj.spec.policies.deletion
    databases = ", ".join(_databases(entry))
    first = "  Argo CD prunes the tenant's routes and resources at once, then runs its deletion policy's Jobs:"
    if deletion.mode is DeletionMode.RETAINED:
        then = f"  retained: {databases} kept for the grace period ({deletion.grace_period}), then purged"
    elif deletion.mode is DeletionMode.IMMEDIATE:
        then = f"  immediate: {databases} purged at once"
    else:
        then = f"  manual: {databases} kept until someone starts its suspended deprovision CronJob (--finalize)"
    last = "  delete the file in a later change, once the policy's Jobs are done"
    return [first, then, last]
