#!/usr/bin/env bash
# Install the Debian packages needed to build, test and demo credit.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/common.sh
ensure_deps
echo "dependencies present"
