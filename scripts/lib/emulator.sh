# Sourced by the scripts that start the emulator (or another server) in the background: starting it,
# waiting for its readiness line, and stopping every process they started, also on INT and TERM.
# shellcheck shell=bash

started_pids=()

# launch OUT ERR COMMAND...: runs COMMAND in the background with stdout to OUT and stderr to ERR (the same
# file when ERR is OUT); sets launched_pid and remembers it for stop_started.
launch() {
    local out="$1" err="$2"
    shift 2
    if [[ "$err" == "$out" ]]; then
        "$@" >"$out" 2>&1 &
    else
        "$@" >"$out" 2>"$err" &
    fi
    launched_pid=$!
    started_pids+=("$launched_pid")
}

# await_readiness PID FILE SECONDS: waits for a `… listening on …` line in FILE. Returns 0 once it is
# there, 1 when the process exited first, 2 when SECONDS passed.
await_readiness() {
    local pid="$1" file="$2" deadline=$((SECONDS + $3))
    until grep -q "listening on" "$file" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || return 1
        ((SECONDS < deadline)) || return 2
        sleep 0.05
    done
}

# stop_pid PID: TERM, then KILL after 5 s. A process already gone, or no PID, is fine. A stopped process
# is forgotten, so that stop_started never signals a later process that got its PID.
stop_pid() {
    local pid="$1" kept=() other
    for other in "${started_pids[@]}"; do [[ "$other" == "$pid" ]] || kept+=("$other"); done
    started_pids=("${kept[@]}")
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# stop_started: stops every process launch started.
stop_started() {
    local pid
    for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
}

# begin_work NAME: makes the scratch folder $work, named after the script, as $check_name is. On exit the
# script's `before_exit` runs (when it defines one), then every process launch started is stopped and
# $work removed; INT and TERM exit with 130 and 143.
begin_work() {
    check_name="$1"
    work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    trap end_work EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

end_work() {
    if declare -F before_exit >/dev/null; then before_exit; fi
    stop_started
    rm -rf "$work"
}
