# Sourced by the check scripts: `ok` / `not ok` lines and the closing count, named after $check_name
# (set by begin_work in emulator.sh).
# shellcheck shell=bash

passed=0
failed=0

ok() {
    passed=$((passed + 1))
    echo "ok - $*"
}

not_ok() {
    failed=$((failed + 1))
    echo "not ok - $*"
}

summary() {
    echo "$check_name: $passed passed, $failed failed"
}

fatal() {
    not_ok "$*"
    summary
    exit 1
}

# run_counted WHAT PREFIX LOG SECONDS COMMAND...: runs COMMAND for at most SECONDS, its output shown and
# kept in LOG, and adds the counts of its last `PREFIX…: N passed, M failed` line. WHAT names it in the
# failures: no such line, or a non-zero exit status with nothing failed.
run_counted() {
    local what="$1" prefix="$2" log="$3" seconds="$4"
    shift 4
    local status=0 counts
    timeout "$seconds" "$@" 2>&1 | tee "$log" || status=$?
    counts="$(sed -n "s/^$prefix.*: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2/p" "$log" | tail -n 1)"
    if [[ -z "$counts" ]]; then
        not_ok "$what ran to its summary (exit status $status)"
        return
    fi
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
    if [[ $status -ne 0 && ${counts#* } -eq 0 ]]; then
        not_ok "$what exits 0 (exit status $status)"
    fi
}
