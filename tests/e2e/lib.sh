# lib.sh - helpers for end-to-end tests that drive the real sluice binary in a temporary
# folder.  Each check prints "ok NAME" or "not ok NAME: why"; tests/run.sh counts them.
set -u
SLUICE=${SLUICE_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/sluice}
E2E_FAILS=0

e2e_setup() {
    E2E_DIR=$(mktemp -d /tmp/sluice-e2e.XXXXXX)
    cd "$E2E_DIR" || exit 1
    trap 'cd /; rm -rf "$E2E_DIR"' EXIT
}

# A fresh empty working folder for one scenario.
fresh() {
    cd "$E2E_DIR" || exit 1
    rm -rf "$E2E_DIR/w"
    mkdir -p "$E2E_DIR/w"
    cd "$E2E_DIR/w" || exit 1
}

ok() { echo "ok $1"; }
not_ok() {
    echo "not ok $1: $2"
    E2E_FAILS=$((E2E_FAILS + 1))
}
# expect_eq NAME GOT WANT
expect_eq() {
    if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi
}
# expect_match NAME TEXT REGEX
expect_match() {
    if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1" "'$3' not in: $(printf '%s' "$2" | head -c 600)"; fi
}
# run CMD...: runs sluice, keeping stdout+stderr in $OUT and the exit code in $RC
run() {
    OUT=$("$SLUICE" "$@" 2>&1)
    RC=$?
}
DB=outputs/near_rt_analytics.db
sq() { sqlite3 -batch -noheader "${SQ_DB:-$DB}" "$1"; }
count_files() { find "$1" -maxdepth 1 -type f -name "${2:-*}" 2>/dev/null | wc -l | tr -d ' '; }

e2e_done() {
    [ "$E2E_FAILS" -eq 0 ]
}
