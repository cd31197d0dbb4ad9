"""Stage 4: dependency resolution. Pure: a typed fleet becomes a version graph, diagnostics (RLC204 for ranges,
RLC401 to RLC405) and a migration order per candidate.

    res = resolve(fleet)
    res.diagnostics                      # tuple[Diagnostic, ...]
    res.migration_order("platform-2025-07")  # ('payments', 'auth', 'entity')
    res.graph                            # networkx.DiGraph of component@version
"""

from compiler.resolve.resolution import Resolution, resolve

__all__ = ["Resolution", "resolve"]
