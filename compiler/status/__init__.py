"""``relc status``: the fleet at a glance, from git alone: per Instance, its candidates and how many tenants pin
each, and what needs attention (tenants past a notify date, an end of life drawing near, drafts offered).

Two modules: :mod:`~compiler.status.summary` computes the facts (pure, one pass over the validated fleet, shared
by both formats), :mod:`~compiler.status.table` lays them out in 100 columns; the JSON format is the summary's
own ``as_json``, documented in the README and kept stable for other tools.
"""
