"""``--format html``: a static site — ``index.html``, a page per Instance and a page per candidate.

Self-contained so it opens from ``file://`` and publishes as a CI artifact: CSS and the one script are inlined in
every page, no font, image or script is fetched. Deterministic: no timestamp unless ``--today``.

Why a page per Instance and a paged matrix: at 10,000 tenants one table of every tenant and component is
hundreds of thousands of cells. The matrix rows are inline JSON (a few dozen bytes a tenant: a version depends
only on the candidate, its lag only on the Instance and candidate, so both are tables the rows point into) and
the script draws one page of filtered rows at a time. Tenant details are plain HTML, one row per tenant of the
Instance, so they read without the script.

Escaping: templates autoescape (tenant, app and display names are user input), and the inline JSON has every
``<`` written as ``\\u003c``, so no value can close its ``<script>`` element.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from compiler.render.output import RenderedFile
from compiler.report.facts import InstanceFacts, Report, TenantFacts
from compiler.report.svg import graph_svg

OPEN_UP_TO = 200
"""An Instance's tenant table starts open up to this many tenants. Closed, the browser parses it but lays nothing
out: a page of 2,500 tenants loads in 0.2 s instead of 1.5 s (bench/bench_report.py)."""
MAX_BLOCKERS = 30
"""Tenants named as blocking a retirement before "and N more" (the matrix filters show them all)."""
ROLES = ("Operator", "Agent")


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("compiler.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _asset(name: str) -> Markup:
    """A file of templates/ inlined verbatim (it is relc's own text, not input)."""
    return Markup(files("compiler.report").joinpath("templates", name).read_text(encoding="utf-8"))


def inline_json(value: object) -> Markup:
    """JSON safe inside ``<script>``: no ``<`` at all, so neither ``</script>`` nor ``<!--`` can appear."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return Markup(text)


def matrix_data(report: Report, tenants: Sequence[TenantFacts], components: Sequence[str], link: str) -> object:
    """The matrix of ``tenants``: names and roles as indexes into small tables, versions and lags per candidate."""
    instances = sorted({t.instance for t in tenants})
    candidates = sorted({t.candidate for t in tenants})
    inst_index = {n: i for i, n in enumerate(instances)}
    cand_index = {n: i for i, n in enumerate(candidates)}
    pins: dict[str, list[str | None]] = {}
    lags: dict[str, list[int | None]] = {}
    rows = []
    for t in tenants:
        i, c = inst_index[t.instance], cand_index[t.candidate]
        if t.candidate not in pins:
            pins[t.candidate] = [t.versions.get(name) for name in components]
        key = f"{i},{c}"
        if key not in lags:
            lags[key] = [t.behind.get(name) for name in components]
        rows.append([t.name, i, ROLES.index(t.role), c, t.trouble])
    return {
        "components": list(components),
        "instances": instances,
        "candidates": candidates,
        "roles": list(ROLES),
        "pins": [pins[name] for name in candidates],
        "lags": lags,
        "rows": rows,
        "tenantLink": link,
    }


def html_files(report: Report) -> list[RenderedFile]:
    env = _environment()
    common: dict[str, object] = {
        "css": _asset("report.css"),
        "js": _asset("report.js"),
        "today": report.today,
        "nav_instances": [i.name for i in report.instances],
        "report": report,
        "candidates": {c.name: c for c in report.candidates},
        "status": report.status_given,
        "limit": MAX_BLOCKERS,
        "open_up_to": OPEN_UP_TO,
    }
    by_instance: dict[str, list[TenantFacts]] = {}
    for tenant in report.tenants:
        by_instance.setdefault(tenant.instance, []).append(tenant)
    out = [
        _page(
            env,
            "index.html",
            "index.html.j2",
            common,
            title="Fleet report",
            up="",
            matrix=inline_json(matrix_data(report, report.tenants, report.components, "instance/INSTANCE.html")),
        )
    ]
    for instance in report.instances:
        out.append(_instance_page(env, common, report, instance, by_instance.get(instance.name, [])))
    for candidate in report.candidates:
        svg = Markup(graph_svg(candidate.name, candidate.nodes, candidate.edges))
        out.append(
            _page(
                env,
                f"candidate/{candidate.name}.html",
                "candidate.html.j2",
                common,
                title=f"Candidate {candidate.name}",
                up="../",
                c=candidate,
                svg=svg,
                matrix=None,
            )
        )
    return out


def _instance_page(
    env: Environment, common: dict[str, object], report: Report, instance: InstanceFacts, tenants: list[TenantFacts]
) -> RenderedFile:
    data = matrix_data(report, tenants, instance.components, "INSTANCE.html")
    if not tenants:  # the filters still name the Instance
        data = {**data, "instances": [instance.name]}  # type: ignore[dict-item]
    return _page(
        env,
        f"instance/{instance.name}.html",
        "instance.html.j2",
        common,
        title=f"Instance {instance.name}",
        up="../",
        i=instance,
        tenants=tenants,
        matrix=inline_json(data),
    )


def _page(env: Environment, path: str, template: str, common: dict[str, object], **values: object) -> RenderedFile:
    text = env.get_template(template).render(**common, **values)
    return RenderedFile(path, raw=text.encode("utf-8"))
