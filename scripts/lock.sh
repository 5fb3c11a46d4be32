#!/usr/bin/env bash
# Re-resolves requirements/lock.txt from requirements/requirements.in (CPython 3.11, manylinux x86-64).
set -euo pipefail
cd "$(dirname "$0")/.."
uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
  requirements/requirements.in -o requirements/lock.txt
echo "wrote requirements/lock.txt"
