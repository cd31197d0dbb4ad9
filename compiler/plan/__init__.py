"""``relc plan``: what a change does, per Instance, judged against the base branch.

After outcheck in the package order: it reads the base commit (load), types it (model), resolves it (resolve),
runs the base-branch policies (validate.policies) and renders both fleets in memory (render) to compare them.
"""
