#!/usr/bin/env bash
# Regenerate __test__/fixtures/diff/ from the reference engine (PyPI blazerules==0.5.4).
# Creates scripts/diff/.venv on first use (git-ignored). Extra arguments go to gen_fixtures.py:
#   bash scripts/diff/regen.sh --show                 # print every case's per-record table
#   bash scripts/diff/regen.sh --only sql_grammar     # regenerate one case
#   bash scripts/diff/regen.sh --check                # fail if committed fixtures are stale
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
exec "$venv/bin/python" "$here/gen_fixtures.py" "$@"
