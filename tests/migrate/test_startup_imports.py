"""What a short run imports: every Job starts relc-migrate, and most runs (no-ops) end before doing any real work,
so a library only some runs need is imported only by those."""

from __future__ import annotations

import subprocess
import sys

from tests.migrate.helpers import REPO

_PROBE = """
import sys
from relc_migrate.metrics import Metrics
metrics = Metrics("prod", "eu1")
metrics.queued(2)
metrics.migration(outcome="success", tenant="acme", service="auth", version="1.2.0", seconds=1.5)
metrics.at_version(tenant="acme", service="auth", schema="auth", version="1.2.0")
metrics.backup(tenant="acme", outcome="failed", seconds=3.0)
metrics.flush(pushgateway_url=None, job="j", metrics_file=None)
print("prometheus_client" in sys.modules)
text = metrics.text()
print("prometheus_client" in sys.modules)
wanted = ("migration_queue", "tenant_backup_failed_total")
print("\\n".join(line for line in text.splitlines() if line.startswith(wanted)))
"""


def test_metrics_import_prometheus_client_only_when_they_are_published() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.splitlines() == [
        "False",
        "True",
        'tenant_backup_failed_total{cluster="prod",relc_instance="eu1",tenant="acme"} 1.0',
        'migration_queue_length{cluster="prod",relc_instance="eu1"} 2.0',
    ]
