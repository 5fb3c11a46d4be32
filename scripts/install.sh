#!/usr/bin/env bash
# One-command install of the pinned TFX 1.16 stack into a fresh virtual environment. The one recipe for every
# environment: a user's checkout, CI (.ci/run) and the pipeline image (Dockerfile, with --runtime).
#   bash scripts/install.sh                  # creates ./.venv: the runtime lock and the test/benchmark tools
#   bash scripts/install.sh --runtime        # the runtime lock only (requirements/lock.txt): the pipeline image
#   VENV=/path/to/venv bash scripts/install.sh
# Why these versions: requirements/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$here/.venv}
python=${PYTHON:-python3}
locks=("$here/requirements/lock.txt" "$here/requirements/test-lock.txt")
case "${1:-}" in
  "") ;;
  --runtime) locks=("$here/requirements/lock.txt") ;;
  *) echo "[install] error: unknown argument '$1' (usage: bash scripts/install.sh [--runtime])" >&2; exit 2 ;;
esac

# The lock is resolved for Python 3.11 (TF 2.16 / TFX 1.16): refuse any other interpreter before creating anything.
if ! version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); then
  echo "[install] error: no Python interpreter '$python' (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
if [ "$version" != "3.11" ]; then
  echo "[install] error: $python is Python $version; this stack needs Python 3.11 (Debian 12's python3 is 3.11;" \
       "elsewhere install 3.11 and run PYTHON=python3.11 bash scripts/install.sh)" >&2
  exit 2
fi

if command -v uv >/dev/null 2>&1; then
  uv=(uv)
else
  echo "[install] uv not found: installing it with pip"
  # (a Debian system Python refuses pip installs as "externally managed": the user site is the fallback)
  "$python" -m pip install --quiet uv || "$python" -m pip install --quiet --user uv \
    || "$python" -m pip install --quiet --user --break-system-packages uv
  uv=("$python" -m uv)  # works wherever pip put the uv binary
fi

echo "[install] creating $venv"
"${uv[@]}" venv --quiet --allow-existing --python "$python" "$venv"
echo "[install] installing ${locks[*]#$here/} (TF 2.16, Beam, TFT/TFDV/TFMA 1.16 family) ..."
"${uv[@]}" pip sync --quiet --python "$venv/bin/python" "${locks[@]}"
# tfx and ml-pipelines-sdk declare Requires-Python <3.11 but are pure Python and run on 3.11:
# installed without dependency resolution; their dependencies are all in lock.txt.
echo "[install] installing tfx 1.16.0 and ml-pipelines-sdk 1.16.0 (--no-deps)"
"${uv[@]}" pip install --quiet --python "$venv/bin/python" --no-deps -r "$here/requirements/tfx-nodeps.txt"
echo "[install] installing this project (editable)"
"${uv[@]}" pip install --quiet --python "$venv/bin/python" --no-deps -e "$here"
# promo_env first: it keeps TensorFlow's known start-up noise out of the check (promo_env.KNOWN_NOISE)
"$venv/bin/python" -c "import promo_env, tfx, tensorflow as tf, tensorflow_transform as tft; print('[install] ok: tfx', tfx.__version__, '| tensorflow', tf.__version__, '| tft', tft.__version__)"
echo "[install] done. Activate with: source $venv/bin/activate"
