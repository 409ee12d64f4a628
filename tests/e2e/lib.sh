# lib.sh - helpers for end-to-end tests that drive the real sluice binary in a temporary
# folder.  Each check prints "ok NAME" or "not ok NAME: why"; tests/run.sh counts them.
set -u
SLUICE=${SLUICE_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/sluice}
# `sluice run` refuses to run as root without --allow-root; the tests (and CI) run as root.
# t_adversarial2.sh checks the refusal itself with this unset.
export SLUICE_ALLOW_ROOT=1
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

# --- daemons (sluice run) ------------------------------------------------------------------
# e2e_daemons: after e2e_setup, for scripts that start `sluice run`: every daemon recorded in
# DPIDS is killed when the script exits, whatever happens.
e2e_daemons() {
    DPIDS=()
    trap 'for p in "${DPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; cd /; rm -rf "$E2E_DIR"' EXIT
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS CONDITION: polls CONDITION (a shell snippet) every 50 ms until it holds.
wait_for() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    shift
    until eval "$1" 2>/dev/null; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# start_daemon ARGS...: sluice run in the background (stderr in daemon.out), waits for it to
# log daemon_start.
start_daemon() {
    "$SLUICE" run "$@" >daemon.out 2>&1 &
    DPID=$!
    DPIDS+=("$DPID")
    wait_for 10 "grep -q daemon_start logs/sluice.log"
}
# stop_daemon [SIGNAL]: sends it (default TERM), waits, exit code in DRC.
stop_daemon() {
    kill -"${1:-TERM}" "$DPID" 2>/dev/null
    wait "$DPID"
    DRC=$?
}

e2e_done() {
    [ "$E2E_FAILS" -eq 0 ]
}
