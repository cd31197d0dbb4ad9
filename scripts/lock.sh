#!/usr/bin/env bash
# Refresh constraints.txt, the lock file every install goes through (`make install`, .ci/run, the relc-migrate
# image). Run as `make lock`, then run `make test` and commit constraints.txt with what its diff needed.
#
# Why a throwaway venv: the lock must hold exactly what `.[dev]` resolves to today, not what an old .venv
# happens to contain, and it must not be resolved through the current lock (that would only ever repeat it).
# pip and setuptools are pinned too: `make install` builds relc with --no-build-isolation, so the setuptools
# that builds it is the locked one rather than whatever the index serves that day.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
OUT=${1:-constraints.txt}

tmp=$(mktemp -d /tmp/relc-lock-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
pip=("$tmp/venv/bin/pip" --quiet --disable-pip-version-check)
"${pip[@]}" install --upgrade pip setuptools
# Non-editable, from a copy: the working tree's build/ and *.egg-info stay untouched.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | (mkdir "$tmp/src" && tar -xf - -C "$tmp/src")
"${pip[@]}" install --no-build-isolation "$tmp/src[dev]"

{
  echo "# relc's lock: every runtime and dev dependency, transitive ones included, and pip and setuptools, pinned"
  echo "# exactly. Used as \`pip install -c constraints.txt\` by make install (so .ci/run) and the relc-migrate image."
  echo "# Do not edit by hand: \`make lock\` (scripts/lock.sh) regenerates it in a throwaway venv: pip and setuptools"
  echo "# upgraded, \`pip install '.[dev]'\` unconstrained, \`pip freeze --all\` without relc itself, sorted by name."
  echo "# Made with $("$tmp/venv/bin/python" -V) on $(uname -sm)."
  "$tmp/venv/bin/pip" freeze --all --exclude relc | LC_ALL=C sort -f -t= -k1,1
} >"$tmp/constraints.txt"
mv "$tmp/constraints.txt" "$OUT"
echo "wrote $OUT ($(grep -vc '^#' "$OUT") pins)"
