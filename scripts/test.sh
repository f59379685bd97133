#!/usr/bin/env bash
# The one command that installs what the tests need and runs every check and test:
# system packages, npm dependencies, build, typecheck, lint, format, then the test suite.
# Its last line is the test runner's count: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
echo "== typecheck, lint, format"
npm run check --silent
echo "== tests"
node scripts/run-tests.mjs "$@"
