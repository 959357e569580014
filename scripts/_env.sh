# Shared set-up for scripts/serve and scripts/test: a project virtualenv with
# firedrill installed (editable) from the lock file, refreshed when pyproject.toml or
# requirements.lock changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "firedrill needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
STAMP=.venv/.firedrill-installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ requirements.lock -nt "$STAMP" ]; then
  echo "==> installing firedrill and its locked dependencies into .venv"
  # Exact versions with hashes from requirements.lock (refresh it with scripts/lock), so a
  # fresh clone installs the same packages on any day; then the project itself, editable.
  .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
  # an egg-info left by an older install would shadow the metadata (extras) of this one
  rm -rf firedrill.egg-info
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
