"""relc: a GitOps release compiler.

The package is a pipeline you can read in its folder layout:
``load`` (YAML files → located documents) → ``model`` (typed, validated kinds) → ``resolve`` (version graph) →
``validate`` (rules over the whole fleet) → ``render`` (pure: fleet → files) → ``emit`` (atomic write, check) →
``outcheck`` (``validate --rendered``: reads what emit wrote). A package imports only packages before it
(tests/test_package_order.py). ``cli`` is a thin click layer over ``app``, the one core entry point that maps
errors to exit codes.
"""

#: The one version of the relc distribution (compiler and relc-migrate): pyproject.toml reads it (setuptools
#: ``attr``), and the default relc-migrate image tag is derived from it (compiler/model/settings.py).
__version__ = "0.1.0"
