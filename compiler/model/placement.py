"""Where a file lives against what it holds: the README's layout conventions, which reviewers rely on.

A reviewer reads a pull request by its paths: a change under ``tenants/droneup-staging/`` is taken for a staging
change. So the path must say what the object says: its kind's folder (RLC106), its name as the file name (RLC108,
a warning: renaming is cosmetic), and where the README names a folder after a field (``tenants/<instance>/``,
``blueprints/components/<component>/<version>.yaml``), that field (RLC109, an error: the path misleads about
where the change lands). Only documented conventions are checked. Pure string operations: PurePosixPath per
file cost 0.3 s at 10,000 files.
"""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, Severity
from compiler.load.documents import Document
from compiler.model.kinds import FOLDERS, AnyKind, ComponentVersion, Tenant

_COMPONENTS = FOLDERS["ComponentVersion"] + "/"


def misplaced_kind(doc: Document, kind: str) -> list[Diagnostic]:
    """RLC106: the file is not under its kind's folder (a blueprint under blueprints/components/ is not either)."""
    expected = FOLDERS[kind]
    path = doc.path
    if path.startswith(expected + "/") and (kind == "ComponentVersion" or not path.startswith(_COMPONENTS)):
        return []
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    return [
        doc.diagnostic(
            ("kind",),
            "RLC106",
            f"a {kind} belongs under {expected}/, not {folder}/",
            f"move the file to {expected}/",
        )
    ]


def _expected_stem(obj: AnyKind) -> str:
    if isinstance(obj, ComponentVersion):
        return obj.spec.version
    return obj.metadata.name


def file_name(doc: Document, obj: AnyKind) -> list[Diagnostic]:
    """RLC108 (warning): the file is named after the object (a ComponentVersion after its version)."""
    name = doc.path.rsplit("/", 1)[-1]
    stem, suffix = name.rsplit(".", 1) if "." in name else (name, "")
    expected = _expected_stem(obj)
    if stem == expected:
        return []
    field = ("spec", "version") if isinstance(obj, ComponentVersion) else ("metadata", "name")
    return [
        doc.diagnostic(
            field,
            "RLC108",
            f"the file is named '{stem}' but holds '{expected}'",
            f"rename the file to {expected}.{suffix}: reviewers find objects by file name",
            severity=Severity.WARNING,
        )
    ]


def folder_name(doc: Document, obj: AnyKind) -> list[Diagnostic]:
    """RLC109: the folder named after a field (a tenant's instance, a version's component) names another value."""
    if isinstance(obj, Tenant):
        field, value, base = ("spec", "instance"), obj.spec.instance, FOLDERS["Tenant"] + "/"
    elif isinstance(obj, ComponentVersion):
        field, value, base = ("spec", "component"), obj.spec.component, _COMPONENTS
    else:
        return []
    if not doc.path.startswith(base):
        return []  # in another kind's folder: RLC106 says so
    rest = doc.path[len(base) :]
    folder = rest.split("/", 1)[0] if "/" in rest else ""
    if folder == value:
        return []
    shown = f"{base}{folder}/" if folder else base
    name = doc.path.rsplit("/", 1)[-1]
    return [
        doc.diagnostic(
            field,
            "RLC109",
            f"the file is under {shown} but {'.'.join(field)} is '{value}'",
            f"move the file to {base}{value}/{name}, or fix {'.'.join(field)} if the folder is right",
        )
    ]
