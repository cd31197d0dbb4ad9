"""The text of a new tenant file: what a platform backend opens a pull request with when an organization
registers (design document 2, §7).

Laid out like the example fleet's tenants, field for field: the ``yaml-language-server`` comment (editors check
the file against schemas/Tenant.json), ``apiVersion``, ``kind``, ``metadata.name``, then ``spec`` with the
identity fields first and every policy written out with its value, so a reviewer sees the deletion policy the
tenant is created with rather than a default they must look up. Dumped by ruamel.yaml, which quotes a display
name only where YAML needs it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from compiler.model.common import API_VERSION
from compiler.model.kinds import DeletionMode, TenantRole

SCHEMA_COMMENT = "yaml-language-server: $schema=../../schemas/Tenant.json"
"""From tenants/<instance>/<name>.yaml, where relc tenant add writes, to schemas/ at the top of the fleet."""


@dataclass(frozen=True, slots=True)
class NewTenant:
    name: str
    instance: str
    candidate: str
    role: TenantRole
    operator: str | None
    display_name: str
    backup_before_migration: bool = True
    deletion: DeletionMode = DeletionMode.RETAINED
    grace_period: str = "30d"

    @property
    def path(self) -> str:
        """Fleet-relative: the folder is the Instance (RLC109), the file name the tenant's (RLC108)."""
        return f"tenants/{self.instance}/{self.name}.yaml"


def tenant_text(new: NewTenant) -> str:
    spec = CommentedMap(displayName=new.display_name, role=new.role.value)
    if new.operator is not None:
        spec["operator"] = new.operator
    spec.update(instance=new.instance, releaseCandidate=new.candidate)
    spec["policies"] = CommentedMap(
        backupBeforeMigration=new.backup_before_migration,
        dryRun=False,
        autoUpgrade=False,
        deletion=CommentedMap(mode=new.deletion.value, gracePeriod=new.grace_period),
    )
    top = CommentedMap(apiVersion=API_VERSION, kind="Tenant", metadata=CommentedMap(name=new.name), spec=spec)
    top.yaml_set_start_comment(SCHEMA_COMMENT)
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long display name over two lines
    out = io.StringIO()
    yaml.dump(top, out)
    return out.getvalue()
