#!/usr/bin/env bash
# One documented entry point for the benchmark: bash bench/run.sh [run.py options]
# Creates/uses the project venv (.venv) and a separate peer venv (bench/.venv-peers, for checkov),
# installs what is missing, then runs bench/run.py. Extra arguments go to run.py, e.g.
#   bash bench/run.sh --sizes small,medium --reps 3 --peers yamllint,detect-secrets
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
PY="${PYTHON:-python3}"

if [[ ! -x "$REPO/.venv/bin/python" ]]; then
    "$PY" -m venv "$REPO/.venv"
fi
VPY="$REPO/.venv/bin/python"
"$VPY" -c 'import yaml' 2>/dev/null || "$VPY" -m pip install -q PyYAML
# the engine (if installable yet; run.py falls back to the in-tree package otherwise)
"$VPY" -m pip install -q -e "$REPO" >/dev/null 2>&1 || echo "[run.sh] homeops-lint not pip-installable yet; using in-tree package if present" >&2
# peers that co-exist with the project venv
for pkg in yamllint detect-secrets kubernetes-validate; do
    [[ -x "$REPO/.venv/bin/$pkg" ]] || "$VPY" -m pip install -q "$pkg" || echo "[run.sh] could not install $pkg" >&2
done
# checkov pins many dependencies: keep it in its own venv
if [[ ! -x "$HERE/.venv-peers/bin/checkov" ]]; then
    { "$PY" -m venv "$HERE/.venv-peers" && "$HERE/.venv-peers/bin/pip" install -q checkov; } \
        || echo "[run.sh] checkov could not be installed; it will be reported as not available" >&2
fi
exec "$VPY" "$HERE/run.py" "$@"
