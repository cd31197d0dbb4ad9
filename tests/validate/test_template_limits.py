"""Values templates cannot build without bound: every growth path is RLC801 at its file:line, fast, in little memory.

Each run is the real ``relc`` binary in a subprocess whose address space is capped (RLIMIT_AS, 1 GiB): before the
limits, ``{{ 'x' * 10**9 }}`` alone ran for 20-30 s and grew to 3.8 GiB, so an unbounded path fails here as a
MemoryError (exit 3) rather than passing slowly. The time bound counts the child's CPU seconds, not wall time, so
a loaded machine cannot make it fail (an unbounded path took 20-30 CPU seconds).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main
from compiler.render.sandbox import MAX_OUTPUT, MAX_RANGE, MAX_STEPS, MAX_TEXT, MAX_WORK
from tests.compile.util import snapshot
from tests.conftest import TODAY

RELC = str(Path(sys.executable).parent / "relc")
MEMORY = 1024**3
CPU_SECONDS = 10.0
LIMIT = f"{MAX_TEXT:,}"
BILLION = "would be 1,000,000,000 characters long"

# (template, the exact message after "values template fails: ") — one per growth path
CASES: list[tuple[str, str]] = [
    (
        "{{ 'x' * 10**9 }}",
        f"the repetition (string of length 1, 1,000,000,000 times) {BILLION} (limit {LIMIT})",
    ),
    (
        "{{ 'x' * 1000 * 1000 * 1000 }}",
        f"the repetition (string of length 1,000,000, 1,000 times) {BILLION} (limit {LIMIT})",
    ),
    (
        "{{ 1000 * 'x' * 1000000 }}",
        f"the repetition (string of length 1,000, 1,000,000 times) {BILLION} (limit {LIMIT})",
    ),
    (
        "{{ [0] * 10**8 }}",
        f"the repetition (list of length 1, 100,000,000 times) would be 200,000,000 characters long (limit {LIMIT})",
    ),
    ("{{ 10**10**9 }}", "10000000000 ** 9 would be over 256 bits"),
    ("{{ 7 ** 100000 }}", "7 ** 100000 would be over 256 bits"),
    ("{{ (2**200) * (2**200) }}", "a product of integers would be over 256 bits"),
    ("{{ ('x' * 1000000) ~ ('y' * 1000000) }}", f"the '~' concatenation would be over {LIMIT} characters"),
    (
        "{{ ('x' * 1000000) + ('y' * 1000000) }}",
        f"the concatenation would be 2,000,000 characters long (limit {LIMIT})",
    ),
    ("{{ ['x' * 1000000, 'y' * 1000000] | join }}", f"join would be over {LIMIT} characters"),
    ("{{ '-'.join(['x' * 1000000, 'y' * 100000]) }}", f"join would be over {LIMIT} characters"),
    ("{{ '%*s' % (10**9, 'x') }}", f"the '%' formatting would be 1,000,000,022 characters long (limit {LIMIT})"),
    ("{{ '%s' | format('x' * 1000000 ~ 'y' * 100000) }}", f"the '~' concatenation would be over {LIMIT} characters"),
    ("{{ '{:>1000000000}'.format('x') }}", f"format width 1,000,000,000 is over the limit of {LIMIT} characters"),
    ("{{ 'x' | center(10**9) }}", f"center would be 1,000,000,000 characters long (limit {LIMIT})"),
    ("{{ 'x'.ljust(10**9) }}", f"str.ljust would be 1,000,000,000 characters long (limit {LIMIT})"),
    ("{{ ('a\\n' * 100000) | indent(100) }}", f"indent would be 10,200,100 characters long (limit {LIMIT})"),
    (
        "{{ ('a ' * 100000) | wordwrap(1, wrapstring='x' * 100) }}",
        f"wordwrap would be 20,200,100 characters long (limit {LIMIT})",
    ),
    ("{{ ('x' * 100000) | replace('', 'y' * 12) }}", f"replace would be 1,300,012 characters long (limit {LIMIT})"),
    (
        "{{ 'x'.encode() * 10**9 }}",
        f"the repetition (string of length 1, 1,000,000,000 times) {BILLION} (limit {LIMIT})",
    ),
    ("{{ ('x' * 1000).replace('', 'y' * 2000) }}", f"str.replace would be 2,003,000 characters long (limit {LIMIT})"),
    ("{{ 'a\\tb'.expandtabs(10**9) }}", f"str.expandtabs would be 1,000,000,003 characters long (limit {LIMIT})"),
    (
        "{{ range(3) | batch(10**9, 'x') | list }}",
        f"batch's padding would be 2,000,000,000 characters long (limit {LIMIT})",
    ),
    ("{{ [1] | slice(10**8) | list }}", f"slice's lists would be 200,000,000 characters long (limit {LIMIT})"),
    ("{{ range(10**9) | list }}", f"range() of 1,000,000,000 items (limit {MAX_RANGE:,})"),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        f"the template runs more than {MAX_STEPS:,} loop iterations and calls",
    ),
    (
        "{% for i in range(100) %}{{ range(100000) | sum }}{% endfor %}",
        f"the template runs more than {MAX_STEPS:,} loop iterations and calls",
    ),
    (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
        f"the template runs more than {MAX_STEPS:,} loop iterations and calls",
    ),
    (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        f"the '~' concatenation would be over {LIMIT} characters",
    ),
    (
        "{% set ns = namespace(s='x' * 1000000) %}{% for i in range(100) %}{% set ns.t = ns.s ~ '' %}{% endfor %}",
        f"the template builds more than {MAX_WORK:,} characters in total",
    ),
    (
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        f"the template renders more than {MAX_OUTPUT:,} characters",
    ),
    (
        "{% for i in range(100000) %}" + "y" * 1000 + "{% endfor %}",
        f"the template renders more than {MAX_OUTPUT:,} characters",
    ),
]

HEADER = """\
apiVersion: relc.dev/v1alpha1
kind: ReleaseCandidate
metadata:
  name: platform-2025-07
spec:
  blueprint: arematics-platform
  status: published
  components:
    auth: 1.4.0
    entity: 2.3.0
    payments: 2.1.0
  migrationOrder: [payments, auth, entity]
  values:
    payments:
"""
FIRST_LINE = HEADER.count("\n") + 1


def candidate_with(templates: list[str]) -> str:
    """One value per template, ``t<n>: "<template>"`` on line FIRST_LINE + n (JSON strings are YAML strings)."""
    return HEADER + "".join(f"      t{n}: {json.dumps(t)}\n" for n, t in enumerate(templates))


def run_bounded(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([RELC, *args], capture_output=True, text=True, preexec_fn=cap, timeout=300, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_every_growth_path_is_rlc801_at_its_line_fast_and_small(base_fleet: Path) -> None:
    path = "releases/candidates/platform-2025-07.yaml"
    (base_fleet / path).write_text(candidate_with([t for t, _ in CASES]))
    done, seconds = run_bounded("validate", "--root", str(base_fleet), "--today", TODAY, "--format", "json")
    assert done.returncode == 1, done.stderr
    found = {
        (d["file"], d["line"], d["column"], d["code"], d["message"]) for d in json.loads(done.stdout)["diagnostics"]
    }
    expected = {
        (path, FIRST_LINE + n, 10 + len(str(n)), "RLC801", f"values template fails: {message} (in arematics-prod)")
        for n, (_, message) in enumerate(CASES)
    }
    assert found == expected
    assert all("README: values templates, limits" in d["hint"] for d in json.loads(done.stdout)["diagnostics"])
    assert seconds < CPU_SECONDS


def test_compile_refuses_them_too_and_writes_nothing(base_fleet: Path) -> None:
    (base_fleet / "releases/candidates/platform-2025-07.yaml").write_text(candidate_with([CASES[0][0], CASES[-2][0]]))
    before = snapshot(base_fleet)
    done, seconds = run_bounded("compile", "--root", str(base_fleet), "--today", TODAY)
    assert done.returncode == 1, done.stderr
    assert done.stdout.count("error RLC801") == 2
    assert f"releases/candidates/platform-2025-07.yaml:{FIRST_LINE}:11: error RLC801 template " in done.stdout
    assert snapshot(base_fleet) == before
    assert seconds < CPU_SECONDS


def test_blueprint_values_are_bounded_as_well(base_fleet: Path) -> None:
    blueprint = base_fleet / "blueprints/arematics-platform.yaml"
    text = blueprint.read_text()
    assert text.count('tag: "{{ component.imageTag }}') == 3
    blueprint.write_text(
        text.replace('tag: "{{ component.imageTag }}', "tag: \"{{ 'x' * 10**9 }}{{ component.imageTag }}", 1)
    )
    line = next(n for n, row in enumerate(blueprint.read_text().splitlines(), 1) if "10**9" in row)
    done, seconds = run_bounded("validate", "--root", str(base_fleet), "--today", TODAY)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"blueprints/arematics-platform.yaml:{line}:16: error RLC801 template [spec.components[0].values.image.tag]: "
        "values template fails: the repetition (string of length 1, 1,000,000,000 times) would be 1,000,000,000 "
        f"characters long (limit {LIMIT}) (in arematics-prod)"
    )
    assert seconds < CPU_SECONDS


def test_templates_within_the_limits_render(base_fleet: Path) -> None:
    """The bounds refuse growth, not ordinary work: loops, joins, formatting, filters up to their limits."""
    templates = [
        "{{ 'x' * 1000 }}",
        "{% for i in range(1000) %}{{ i }},{% endfor %}",
        "{{ range(3) | map('string') | join('-') }}|{{ range(100000) | sum }}",
        "{{ '%05d|%s' % (42, 'a') }}|{{ '{:>4}'.format('b') }}|{{ 'c' | center(5) }}|{{ 2 ** 10 }}",
        "{{ 'ab' ~ 'cd' }}{{ [1] + [2] }}{{ 'a\\nb' | indent(2) }}",
    ]
    (base_fleet / "releases/candidates/platform-2025-07.yaml").write_text(candidate_with(templates))
    result = CliRunner().invoke(main, ["compile", "--root", str(base_fleet), "--today", TODAY])
    assert result.exit_code == 0, result.output
    values = (base_fleet / "rendered/instances/arematics-prod/candidates/platform-2025-07/values.yaml").read_text()
    assert f"t0: {'x' * 1000}\n" in values
    assert '  t2: "0-1-2|4999950000"\n' in values
    assert '  t3: "00042|a|   b|  c  |1024"\n' in values
    assert "  t4: |-\n    abcd[1, 2]a\n      b\n" in values


def test_random_and_lipsum_are_gone(base_fleet: Path) -> None:
    """Compile output is deterministic: no template may draw random numbers."""
    (base_fleet / "releases/candidates/platform-2025-07.yaml").write_text(
        candidate_with(["{{ [1, 2] | random }}", "{{ lipsum(1) }}"])
    )
    result = CliRunner().invoke(main, ["validate", "--root", str(base_fleet), "--today", TODAY])
    assert result.exit_code == 1
    assert (
        f":{FIRST_LINE}:11: error RLC801 template [spec.values.payments.t0]: values template fails: "
        "No filter named 'random'." in result.output
    )
    assert (
        f":{FIRST_LINE + 1}:11: error RLC801 template [spec.values.payments.t1]: values template fails: "
        "'lipsum' is undefined" in result.output
    )


def test_a_failure_in_a_candidate_of_three_instances_is_reported_once(example_fleet: Path) -> None:
    path = example_fleet / "releases/candidates/q2-2025.yaml"
    text = path.read_text()
    assert "  values:\n    mission-service:\n" in text
    path.write_text(
        text.replace("  values:\n", '  values:\n    hubops-frontend:\n      broken: "{{ instance.nope }}"\n')
    )
    result = CliRunner().invoke(main, ["validate", "--root", str(example_fleet), "--today", TODAY])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "releases/candidates/q2-2025.yaml:16:15: error RLC801 template [spec.values.hubops-frontend.broken]: values "
        "template fails: 'dict object' has no attribute 'nope' "
        "(in droneup-development, droneup-production, droneup-staging)",
        "    hint: use one of the variables instance, candidate, component, tenants (see README: values templates)",
        "1 error(s), 0 warning(s) in 1 file(s)",
    ]
