#!/bin/sh
# The root file system is read-only; /tmp is the task's one writable scratch volume. A fresh volume
# is root-owned 0755, so make it what programs expect of /tmp (world-writable, sticky) and create
# the work root inside it. Then hand over to the runner, which stays root to setuid to slot uids.
set -eu
chmod 1777 /tmp
mkdir -p "${RUNNER_WORK_ROOT:-/tmp/sandbox-work}"
exec node /opt/runner/runner.mjs "$@"
