#!/usr/bin/env bash
# A time limit for a test run, with a report of what hung.
#
#   Scripts/watchdog.sh SECONDS COMMAND [ARG...]
#
# runs COMMAND in a session of its own and exits with its status. If it still runs after
# SECONDS, prints what is running (the process tree, and which processes hold the pipes
# COMMAND's output goes to) and kills COMMAND's whole process group, exiting 124.
#
# Why: a hung `swift test` once used all of CI's 90 minutes and printed nothing about the
# cause, which was a process holding the test output's pipe open after every test had
# passed (ThreadSanitizer's symbolizer; see Tests/TestProcesses). The suite takes two
# minutes here; the limits in the Makefile are far above that.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 SECONDS COMMAND [ARG...]" >&2
  exit 64
fi
limit=$1
shift

# A session of its own (setsid does not fork here: a background job of a script is not a
# process group leader), so that the group's id is the command's pid.
setsid "$@" &
pid=$!
fired=$(mktemp /tmp/watchdog.XXXXXX)
rm -f "$fired"

# What the command's session runs, and which processes (anywhere) hold the pipes this
# script's output goes to: a test run that hangs after its tests ended is usually
# waiting for the end of a pipe that some other process still holds open.
report() {
  echo "watchdog: '$*' still running after ${limit} s; killing it. Its processes:" >&2
  if command -v ps >/dev/null 2>&1; then
    ps -s "$pid" -o pid,ppid,stat,etime,args --forest >&2
  fi
  local outputs
  outputs=" $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2) "
  for fd in /proc/[0-9]*/fd/*; do
    target=$(readlink "$fd" 2>/dev/null) || continue
    case "$target" in pipe:*) ;; *) continue ;; esac
    case "$outputs" in *" $target "*) ;; *) continue ;; esac
    owner=${fd#/proc/}
    owner=${owner%%/*}
    echo "watchdog: the output's $target is held by $owner: $(tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | cut -c1-120)"
  done | sort -u >&2
}

# The watcher's sleep gets no descriptor of ours (an orphaned sleep holding CI's output
# open would itself keep CI waiting), and goes when the watcher is told to.
(
  sleep "$limit" </dev/null >/dev/null 2>&1 &
  sleeper=$!
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  wait "$sleeper"
  if kill -0 "$pid" 2>/dev/null; then
    report "$@"
    : >"$fired"
    kill -TERM -- "-$pid" 2>/dev/null
    sleep 5 </dev/null >/dev/null 2>&1
    kill -KILL -- "-$pid" 2>/dev/null
  fi
) &
watcher=$!

wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
# A command the watcher killed: 124, as timeout(1) says.
if [ -e "$fired" ]; then
  rm -f "$fired"
  exit 124
fi
exit "$status"
