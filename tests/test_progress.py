"""Progress on stderr: shown on a terminal (a real pseudo-terminal, the real ``relc`` binary), never when a stream is
not a terminal, never with CI set unless asked, never on stdout; and the line logic itself with a fake clock."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from compiler.fanout import fan_out
from compiler.progress import CLEAR, Progress, wanted
from compiler.validate import rules

RULES = len(rules())  # the validate stage counts its rules (compiler.validate.rules)

RELC = Path(sys.executable).parent / "relc"
TODAY = "--today=2026-06-01"
CLEAN_JSON = '{\n  "diagnostics": [],\n  "summary": {\n    "errors": 0,\n    "warnings": 0\n  }\n}\n'


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(extra)
    return env


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run relc with stdout and stderr on one pseudo-terminal; everything the terminal received."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(RELC), *args], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    received = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return proc.wait(timeout=60), received.decode("utf-8")


def test_a_terminal_sees_the_stages_and_counts_and_the_line_is_erased(example_fleet: Path) -> None:
    code, screen = _on_a_terminal(
        ["compile", "--root", str(example_fleet), TODAY, "--progress-delay=0", "-j1"], _env(TERM="xterm")
    )
    assert code == 0
    assert f"{CLEAR}relc: load (" in screen
    assert f"{CLEAR}relc: validate 9 tenants 0/{RULES} rules (" in screen
    assert f"{CLEAR}relc: render 9 tenants (" in screen
    assert f"{CLEAR}relc: write " in screen
    # the command's own line starts on a cleared line, after the last progress line
    assert screen.endswith(f"{CLEAR}compiled 160 files into rendered/: 160 added, 0 changed, 0 removed\r\n")


def test_ci_set_means_no_progress_on_a_terminal_unless_asked(example_fleet: Path) -> None:
    code, screen = _on_a_terminal(
        ["validate", "--root", str(example_fleet), TODAY, "--progress-delay=0"], _env(CI="true")
    )
    assert (code, screen) == (0, "no problems found\r\n")
    code, screen = _on_a_terminal(
        ["validate", "--root", str(example_fleet), TODAY, "--progress-delay=0", "--progress"], _env(CI="true")
    )
    assert code == 0
    assert f"{CLEAR}relc: validate 9 tenants 0/{RULES} rules (" in screen


def test_a_fast_run_shows_nothing_on_a_terminal(example_fleet: Path) -> None:
    code, screen = _on_a_terminal(["validate", "--root", str(example_fleet), TODAY, "--progress-delay=60"], _env())
    assert (code, screen) == (0, "no problems found\r\n")


def test_no_progress_when_the_streams_are_not_a_terminal(example_fleet: Path) -> None:
    """Pipes: nothing on stderr at all, and stdout is exactly the JSON, even with a zero delay."""
    args = [str(RELC), "validate", "--root", str(example_fleet), TODAY, "--progress-delay=0", "--format=json"]
    done = subprocess.run(args, capture_output=True, text=True, env=_env(), timeout=120, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, CLEAN_JSON, "")


def test_asked_for_with_pipes_it_goes_to_stderr_only(example_fleet: Path) -> None:
    args = [
        str(RELC),
        "validate",
        "--root",
        str(example_fleet),
        TODAY,
        "--progress-delay=0",
        "--format=json",
        "--progress",
    ]
    done = subprocess.run(args, capture_output=True, env=_env(), timeout=120, check=False)  # bytes: \r stays \r
    assert (done.returncode, done.stdout.decode()) == (0, CLEAN_JSON)
    assert done.stderr.decode().startswith(f"{CLEAR}relc: load (")
    assert done.stderr.decode().endswith(CLEAR)


@pytest.mark.parametrize(
    ("flag", "stdout_tty", "stderr_tty", "env", "expected"),
    [
        (None, True, True, {}, True),
        (None, True, True, {"CI": "true"}, False),
        (None, True, True, {"CI": ""}, True),
        (None, False, True, {}, False),
        (None, True, False, {}, False),
        (True, False, False, {"CI": "1"}, True),
        (False, True, True, {}, False),
    ],
)
def test_wanted(flag: bool | None, stdout_tty: bool, stderr_tty: bool, env: dict[str, str], expected: bool) -> None:
    assert wanted(flag, stdout_tty=stdout_tty, stderr_tty=stderr_tty, env=env) is expected


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_waits_for_the_delay_then_redraws_at_most_ten_times_a_second() -> None:
    clock, out = _Clock(), io.StringIO()
    progress = Progress(out, delay=1.0, clock=clock)
    progress.stage("render", total=3, unit="tenants")
    progress.advance()
    assert out.getvalue() == ""  # 0 s into the run: a fast run prints nothing
    clock.now += 1.0
    progress.advance()
    assert out.getvalue() == f"{CLEAR}relc: render 2/3 tenants (1.0 s)"
    clock.now += 0.0625
    progress.advance()  # too soon to redraw
    assert out.getvalue() == f"{CLEAR}relc: render 2/3 tenants (1.0 s)"
    clock.now += 0.0625
    progress.tick()
    assert out.getvalue().endswith(f"{CLEAR}relc: render 3/3 tenants (1.1 s)")
    progress.stage("write 4,000 files")  # a new stage draws at once
    assert out.getvalue().endswith(f"{CLEAR}relc: write 4,000 files (1.1 s)")
    progress.close()
    assert out.getvalue().endswith(CLEAR)


def test_off_writes_nothing_and_a_closed_line_that_never_showed_is_not_erased() -> None:
    out = io.StringIO()
    Progress(None).stage("load")
    quiet = Progress(out, delay=60)
    quiet.stage("load")
    quiet.close()
    assert out.getvalue() == ""


def _slow(part: Sequence[int]) -> int:
    time.sleep(0.3)
    return sum(part)


def test_the_waiting_parent_beats_while_workers_run() -> None:
    """The progress line's clock moves during a forked stage: fan_out calls the heartbeat while it waits."""
    beats: list[float] = []
    result = fan_out(_slow, list(range(4)), workers=2, threshold=0, heartbeat=lambda: beats.append(time.monotonic()))
    assert sum(result) == 6
    assert len(beats) >= 2
