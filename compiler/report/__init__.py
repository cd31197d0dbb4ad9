"""Stage 5b: the fleet as people read it — ``relc report`` (HTML site, Markdown summary, JSON for tools).

Why here, after render and before emit: the report is a pure function of the analysed fleet, its resolution and
(optionally) what relc-migrate says the databases run; it reuses render's per-Instance and per-tenant views
(``fleetview``, ``tenantplan``) so it answers "which candidates does this Instance deploy" and "which schemas
does this tenant have" exactly as rendered/ does, and it is written through emit's atomic writer and its
output-folder rules like any other output. Nothing here reads the disk or the clock.

- :mod:`.facts`: fleet + resolution (+ status) → :class:`.facts.Report`, the one data model every format renders;
- :mod:`.status`: the JSON of ``relc-migrate status``, parsed strictly into per-database schema states;
- :mod:`.jsonout`, :mod:`.markdown`, :mod:`.html` (with :mod:`.svg`): the three formats, each → files.
"""
