#!/bin/sh
# deps.sh [--dev] - the one list of sluice's Debian 12 packages.  Installs whatever is missing when
# run as root; otherwise only says what is missing.  Safe to run repeatedly.
set -eu

# build and runtime libraries, then test and bench tools
PKGS="build-essential pkg-config libsqlite3-dev libfyaml-dev libssl-dev libzstd-dev libsnappy-dev
zlib1g-dev libcmocka-dev libmicrohttpd-dev libcurl4-openssl-dev
sqlite3 valgrind time bc openssl curl"

# `deps.sh --dev`: also the fuzzing and static-analysis tools (make fuzz, make lint): clang 14
# with its libFuzzer/sanitizer runtimes, clang-tidy and cppcheck.
if [ "${1:-}" = "--dev" ]; then
    PKGS="$PKGS clang libclang-rt-14-dev clang-tidy cppcheck"
fi

# Node.js and npm run the Parquet interop readers (DuckDB, hyparquet from npm); any node >= 18
# will do, so Debian's is installed only when none is on the PATH.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages:$missing" >&2
    echo "deps.sh: run as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
