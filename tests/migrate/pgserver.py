"""Start and stop a throwaway PostgreSQL server: used by the test fixture, the benchmark and the demo.

initdb refuses to run as root, so as root the server runs as an unprivileged user (``nobody``, or a dedicated
``relcpg`` user created on demand) in a fresh temporary directory chowned to it. It listens on a unix socket
in that directory only (no TCP port to collide on), with fsync off for speed. The admin role ``relc`` logs in
without a password; every other role (the tenants' own) with its SCRAM password.

    python -m tests.migrate.pgserver start DIR   # prints the DSN
    python -m tests.migrate.pgserver stop DIR
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg


def bindir() -> Path:
    """The newest installed server's bin directory (pg_config --bindir as a fallback)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    for tool in ("pg_config", "initdb"):
        found = shutil.which(tool)
        if found and tool == "pg_config":
            return Path(subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip())
        if found:
            return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found (install the postgresql package)")


def server_user() -> str | None:
    """None when not root; else an unprivileged user that may run initdb."""
    if os.geteuid() != 0:
        return None
    for name in ("nobody", "relcpg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "relcpg"], check=True)
    return "relcpg"


def as_user(user: str | None, cmd: Sequence[str]) -> list[str]:
    return list(cmd) if user is None else ["runuser", "-u", user, "--", *cmd]


@dataclass
class PgServer:
    """A running server: ``dsn()`` for the maintenance database, ``dsn(db)`` for any other."""

    root: Path
    socket_dir: Path
    bindir: Path
    user: str | None

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port=5432 user=relc dbname={dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.dsn(dbname), autocommit=True)

    def pg_dump(self, dbname: str, *extra: str) -> str:
        """Plain-text dump, for "left exactly as it was" comparisons.

        pg_dump >= 15.14 wraps its output in ``\\restrict <random key>`` lines; they differ on every run.
        """
        cmd = [str(self.bindir / "pg_dump"), "--no-owner", *extra, self.dsn(dbname)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        skip = ("\\restrict", "\\unrestrict")
        return "".join(line for line in out.splitlines(keepends=True) if not line.startswith(skip))

    def stop(self) -> None:
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"]
        subprocess.run(as_user(self.user, pg_ctl), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def start(root: Path | None = None, max_connections: int = 300) -> PgServer:
    """initdb + pg_ctl start in ``root`` (a new temp dir by default); returns once it accepts connections."""
    root = root or Path(tempfile.mkdtemp(prefix="relc-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    bins, user = bindir(), server_user()
    data, sock = root / "data", root / "sock"
    sock.mkdir(exist_ok=True)
    if user is not None:
        os.chmod(root, 0o755)
        shutil.chown(root, user)
        shutil.chown(sock, user)
    initdb = [str(bins / "initdb"), "-D", str(data), "-U", "relc", "--auth=trust", "-E", "UTF8", "--no-sync",
              "--locale=C"]  # fmt: skip
    subprocess.run(as_user(user, initdb), check=True, capture_output=True)
    # the admin (relc) is trusted on the socket; every other role must present its password, as in production,
    # so the tenant roles' credentials written to Vault are really checked
    (data / "pg_hba.conf").write_text("local all relc trust\nlocal all all scram-sha-256\n")
    options = (
        f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off -c synchronous_commit=off "
        f"-c full_page_writes=off -c max_connections={max_connections} -c shared_buffers=64MB"
    )
    pg_ctl = [str(bins / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60",
              "start"]  # fmt: skip
    subprocess.run(as_user(user, pg_ctl), check=True, capture_output=True)
    return PgServer(root, sock, bins, user)


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.migrate.pgserver start|stop DIR", file=sys.stderr)
        return 2
    root = Path(argv[1])
    if argv[0] == "start":
        print(start(root).dsn())
    else:
        PgServer(root, root / "sock", bindir(), server_user()).stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
