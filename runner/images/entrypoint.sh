#!/bin/sh
# The root file system is read-only; /tmp is the task's one writable scratch volume, and nothing but
# the runner uses it. So it is NOT world-writable: 0711 lets the sandbox uids reach their own work dirs
# inside the work root and nothing else (programs get a private TMPDIR in their work dir; a shared,
# writable /tmp is where one run could plant files for another). /dev/shm likewise: memory in it is
# charged to no process the monitor watches. The runner stays root to setuid to the sandbox uids.
set -eu
chmod 0711 /tmp
chmod 0711 /dev/shm 2>/dev/null || true
mkdir -p "${RUNNER_WORK_ROOT:-/tmp/sandbox-work}"
exec node /opt/runner/runner.mjs "$@"
