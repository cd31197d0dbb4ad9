"""dependencies.yml means one thing: relc_contract.read_dependencies, which relc-migrate and the compiler both call.

relc-migrate loads the file with its bounded reader (relc_migrate/yamlfile.py), the compiler with its hardened
reader (compiler/load/yamlread.py); both read YAML 1.2 with limits and positions, so on every file both accept,
the two programs must accept the same requirements and refuse with the same messages at the same lines. The
version check is a plain regular expression (the contract imports no third-party package), so it is held against
the ``semver`` package both programs order versions with.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

import relc_contract as contract
from compiler.load.documents import SourceFile
from compiler.load.migrations import parse_shipped
from relc_migrate.folder import parse_dependencies

Problem = contract.DependencyProblem


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (None, [Problem((), "expected a mapping with only the key 'requires', not null")]),
        (["auth"], [Problem((), "expected a mapping with only the key 'requires', not a list")]),
        ({"requires": None}, [Problem(("requires",), "requires must be a list of service/minVersion items, not null")]),
        (
            {"requires": [], True: 1},  # YAML 1.1 reads 'yes:' as a boolean key
            [Problem(("True",), "unexpected key true: the file holds only 'requires'", at_key=True)],
        ),
        ({"requires": ["auth"]}, [Problem(("requires", 0), "requires[0] must be a mapping of service and minVersion")]),
        (
            {"requires": [{"service": "auth", "version": "v1.0.0", "min": "1.0.0"}]},
            [
                Problem(
                    ("requires", 0, "version"),
                    "requires[0] needs exactly service and minVersion: it has 'version' and has 'min' and lacks "
                    "minVersion",
                    at_key=True,
                )
            ],
        ),
        (
            {"requires": [{"service": False, "minVersion": datetime.date(2025, 1, 1)}]},  # YAML 1.1's 'no', a date
            [
                Problem(("requires", 0, "service"), "requires[0].service must be a service name, not false"),
                Problem(
                    ("requires", 0, "minVersion"),
                    "requires[0].minVersion 2025-01-01 is not a semantic version (MAJOR.MINOR.PATCH, optionally with "
                    "a leading v: v2.1.0)",
                ),
            ],
        ),
        (
            {"requires": [{"service": "pg_catalog", "minVersion": "1.0.0"}]},
            [Problem(("requires", 0, "service"), "requires[0].service 'pg_catalog' uses the reserved prefix 'pg_'")],
        ),
        (
            {"requires": [{"service": "auth", "minVersion": "v" * 100}]},
            [
                Problem(
                    ("requires", 0, "minVersion"),
                    f"requires[0].minVersion '{'v' * 66}... is not a semantic version (MAJOR.MINOR.PATCH, optionally "
                    "with a leading v: v2.1.0)",
                )
            ],
        ),
    ],
)
def test_every_way_the_file_can_be_wrong(data: object, problems: list[Problem]) -> None:
    assert contract.read_dependencies(data) == ((), tuple(problems))


def test_requirements_are_normalised_and_nothing_is_required_without_the_key() -> None:
    data = {"requires": [{"service": "auth", "minVersion": "v1.2.0"}, {"service": "payments", "minVersion": "2.1.0"}]}
    assert contract.read_dependencies(data) == (
        (contract.DependencyRequirement("auth", "1.2.0"), contract.DependencyRequirement("payments", "2.1.0")),
        (),
    )
    assert contract.read_dependencies({}) == ((), ())
    assert contract.read_dependencies({"requires": []}) == ((), ())


_IDENT = st.from_regex(r"0|[1-9][0-9]{0,3}|[0-9]{0,2}[a-zA-Z-][0-9a-zA-Z-]{0,3}", fullmatch=True)
_VERSIONS = st.builds(
    lambda v, core, pre, build: (
        v + ".".join(core) + (f"-{'.'.join(pre)}" if pre else "") + (f"+{build}" if build else "")
    ),
    st.sampled_from(["", "v", "V", "vv"]),
    st.lists(st.from_regex(r"0|[1-9][0-9]{0,3}|0[0-9]|", fullmatch=True), min_size=1, max_size=4),
    st.lists(_IDENT, max_size=3),
    st.from_regex(r"|[0-9a-zA-Z-]{1,4}(\.[0-9a-zA-Z-]{0,3})?", fullmatch=True),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_VERSIONS, st.text(alphabet="0123456789.-+vVa\n ٣", max_size=12)))
def test_the_version_check_agrees_with_the_semver_package(text: str) -> None:
    normalised = contract.normalised_semver(text)
    bare = text.removeprefix("v")
    if normalised is not None:
        assert normalised == bare
        assert str(semver.Version.parse(bare)) == bare
    else:
        assert not (bare.isascii() and semver.Version.is_valid(bare)), bare


SAMPLES = [
    "requires:\n  - service: auth\n    minVersion: v1.2.0\n  - {service: payments, minVersion: 2.1.0-rc.1}\n",
    "requires: []\n",
    "{}\n",
    "# nothing\n",
    "- auth\n",
    "requires:\n  service: auth\n",
    "requires:\n  - service: auth\n    version: v1.2.0\n",
    "requires:\n  - service: Auth\n    minVersion: v1.2\n  - 3\n",
    "requires:\n  - service: auth\n    minVersion: 1.2\nextra: true\n",
    "requires:\n  - service: no\n    minVersion: 2025-01-01\n",  # YAML 1.1 would read False and a date
    "yes: 1\nrequires: []\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_both_programs_read_a_file_alike(text: str, tmp_path: Path) -> None:
    path = tmp_path / contract.DEPENDENCIES_FILE
    path.write_text(text)
    migrate_requires, findings = parse_dependencies(path, "entity")
    relc_requires, diagnostics = parse_shipped(SourceFile("migrations/entity/dependencies.yml", text))
    assert [(r.service, str(r.min_version)) for r in migrate_requires] == [
        (r.service, r.min_version) for r in relc_requires
    ]
    assert [(f.line, f.message) for f in findings] == [
        (d.line, d.message.removeprefix("relc-migrate cannot read it: ")) for d in diagnostics
    ]
    assert {f.fix for f in findings} | {d.hint for d in diagnostics} <= {contract.DEPENDENCIES_HINT}
    assert {d.code for d in diagnostics} <= {"RLC406"}
