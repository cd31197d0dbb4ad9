"""RLC306, RLC605, RLC503, RLC107/RLC203: a tenant's apps use schema-owning services of its own candidate.

Each app gets one schema per service (``<service>-<app>``) in the tenant database, or in one database per country
when it is country-scoped, so the services must exist in the candidate the tenant runs, must own a schema, and
may only be country-scoped where the service supports it. Countries become database-name suffixes.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.load.documents import Document
from compiler.model.fleet import Entry
from compiler.model.kinds import App, Component, Tenant
from compiler.validate.context import Context
from compiler.validate.countries import ISO_3166_ALPHA2


def check(ctx: Context) -> Iterator[Diagnostic]:
    by_candidate: dict[str, dict[str, Component] | None] = {}  # thousands of tenants share a few candidates
    for _, entry in sorted(ctx.fleet.tenants.items()):
        candidate = entry.obj.spec.release_candidate
        if candidate not in by_candidate:
            by_candidate[candidate] = _components_of(ctx, candidate)
        components = by_candidate[candidate]
        names: dict[str, int] = {}
        for i, app in enumerate(entry.obj.spec.apps):
            if app.name in names:
                yield entry.doc.diagnostic(
                    ("spec", "apps", i, "name"),
                    "RLC107",
                    f"app '{app.name}' is defined twice (also at spec.apps[{names[app.name]}])",
                    "merge the two entries or rename one: an app's name names its schemas",
                )
            names.setdefault(app.name, i)
            yield from _services(entry, i, app, components)
            yield from _countries(entry.doc, i, app)


def _components_of(ctx: Context, name: str) -> dict[str, Component] | None:
    """The blueprint components candidate ``name`` pins; None when the references are broken (RLC301)."""
    candidate = ctx.fleet.candidates.get(name)
    if candidate is None:
        return None
    blueprint = ctx.fleet.blueprints.get(candidate.obj.spec.blueprint)
    if blueprint is None:
        return None
    pinned = candidate.obj.spec.components
    return {c.name: c for c in blueprint.obj.spec.components if c.name in pinned}


def _services(entry: Entry[Tenant], i: int, app: App, components: dict[str, Component] | None) -> Iterator[Diagnostic]:
    doc, candidate = entry.doc, entry.obj.spec.release_candidate
    seen: set[str] = set()
    for j, service in enumerate(app.services):
        path = ("spec", "apps", i, "services", j)
        if service in seen:
            yield doc.diagnostic(path, "RLC203", f"service '{service}' is listed twice", "remove the repeated entry")
            continue
        seen.add(service)
        if components is None:
            continue
        component = components.get(service)
        if component is not None and component.owns_schema and not app.country_scoped:
            continue  # the common case
        owning = sorted(name for name, c in components.items() if c.owns_schema)
        if component is None:
            yield doc.diagnostic(
                path,
                "RLC306",
                f"service '{service}' is not part of candidate '{candidate}'",
                f"use one of: {', '.join(owning)}" if owning else "the candidate has no schema-owning services",
            )
        elif not component.owns_schema:
            yield doc.diagnostic(
                path,
                "RLC306",
                f"service '{service}' owns no database schema, so an app cannot use it",
                f"use one of: {', '.join(owning)}, or set ownsSchema: true on the component in its blueprint",
            )
        elif app.country_scoped and not component.country_scopable:
            yield doc.diagnostic(
                ("spec", "apps", i, "countryScoped"),
                "RLC605",
                f"app '{app.name}' is country-scoped but service '{service}' is not countryScopable",
                f"remove '{service}' from this app, drop countryScoped, or mark '{service}' countryScopable "
                "in its blueprint",
            )


def _countries(doc: Document, i: int, app: App) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for k, country in enumerate(app.countries):
        path = ("spec", "apps", i, "countries", k)
        if country in seen:
            yield doc.diagnostic(path, "RLC203", f"country '{country}' is listed twice", "remove the repeated entry")
            continue
        seen.add(country)
        if country in ISO_3166_ALPHA2:
            continue
        if country.lower() in ISO_3166_ALPHA2:
            hint = f"write '{country.lower()}': countries are lower-case, as in the database name"
        else:
            hint = "use an ISO 3166-1 alpha-2 code in lower case, e.g. de, fr, us"
        yield doc.diagnostic(path, "RLC503", f"'{country}' is not an ISO 3166-1 alpha-2 country code", hint)
