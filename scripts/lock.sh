#!/usr/bin/env bash
# Re-resolves the two locks (CPython 3.11, manylinux x86-64): requirements/lock.txt from requirements.in (runtime:
# what the pipeline image installs), then requirements/test-lock.txt from test.in (test and benchmark tools),
# constrained to the runtime lock's versions. An existing lock's versions are kept where they still fit.
set -euo pipefail
cd "$(dirname "$0")/.."
for name in requirements:lock test:test-lock; do
  uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    "requirements/${name%%:*}.in" -o "requirements/${name##*:}.txt"
  echo "wrote requirements/${name##*:}.txt"
done
