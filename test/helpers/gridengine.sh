#!/usr/bin/env bash
# A one-host Grid Engine (Debian's gridengine 8.1.9) for the live tests, as test/helpers/gridengine.ts runs it: makes
# what is missing (host aliases, the gpu complex, the exec host, host group, queue, parallel environments, users, groups
# and projects), starts the daemons that do not answer, and waits for the queue to take jobs. What already exists or
# runs is reused, so a second run only checks. Run as root: it adds users and starts daemons. On failure, the last line
# on stderr says why. Its names start with "ge" (users gealice, gebob, gecarol; groups gephys, gechem) so as not to
# meet another test's users on the same machine; its ports are Grid Engine's own (6444, 6445).
set -euo pipefail
export SGE_ROOT="${SGE_ROOT:-/var/lib/gridengine}" SGE_CELL="${SGE_CELL:-default}"
DEADLINE=$((SECONDS + ${GRIDENGINE_TIMEOUT:-120}))
fail() {
  echo "$*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "the Grid Engine tests need root (to add users and start the daemons)"
for command in sge_qmaster sge_execd qconf qsub qacct qping; do
  command -v "$command" >/dev/null || fail "no $command: install Grid Engine (apt-get install gridengine-master gridengine-exec gridengine-client, with the debconf answers of .ci/run)"
done
COMMON="$SGE_ROOT/$SGE_CELL/common"
[ -f "$COMMON/bootstrap" ] || fail "no Grid Engine cell at $COMMON: reinstall the gridengine packages with the debconf answers of .ci/run (gridengineconfig true)"
HOST="$(hostname)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# A daemon outlives the tests that start it: it gets none of their environment (their TMPDIR is removed after them).
daemon() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL" "$@" </dev/null >/dev/null 2>&1; }

# Until "$@" succeeds, or fail with $1's message at the deadline.
wait_for() {
  local message="$1"
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$DEADLINE" ] || fail "$message"
    sleep 0.5
  done
}

# This host resolves to 127.0.0.1, whose name is localhost: without the alias, qmaster refuses its own host.
[ "$(cat "$COMMON/host_aliases" 2>/dev/null)" = "$HOST localhost" ] || echo "$HOST localhost" >"$COMMON/host_aliases"

if ! qping -info "$HOST" 6444 qmaster 1 >/dev/null 2>&1; then
  install -d -o sgeadmin -g sgeadmin /var/run/gridengine
  (cd / && daemon sge_qmaster) || fail "sge_qmaster did not start: see /var/spool/gridengine/qmaster/messages"
  wait_for "sge_qmaster does not answer: see /var/spool/gridengine/qmaster/messages" qconf -sh
fi

# Jobs scheduled and accounted at once: a schedule every second, the accounting file written at each job's end.
qconf -ssconf >"$WORK/scheduler"
if ! grep -q '^schedule_interval *0:0:1$' "$WORK/scheduler"; then
  sed -i -e 's/^schedule_interval .*/schedule_interval 0:0:1/' -e 's/^flush_submit_sec .*/flush_submit_sec 1/' \
    -e 's/^flush_finish_sec .*/flush_finish_sec 1/' "$WORK/scheduler"
  qconf -Msconf "$WORK/scheduler" >/dev/null
fi
qconf -sconf global >"$WORK/global"
if ! grep -q 'accounting_flush_time=00:00:00' "$WORK/global"; then
  sed -i -e 's/accounting=[a-z]*/accounting=true/' -e 's/flush_time=[0-9:]*/flush_time=00:00:01 accounting_flush_time=00:00:00/' "$WORK/global"
  qconf -Mconf "$WORK/global" >/dev/null
fi

# Two GPUs on this host, a consumable per job (JOB): `-pe smp 2 -l gpu=1` holds one GPU, not one per slot as a
# consumable YES would.
if ! qconf -sc | grep -q '^gpu  *gpu  *INT  *<=  *YES  *JOB '; then
  qconf -sc | grep -v '^gpu ' >"$WORK/complexes"
  echo "gpu gpu INT <= YES JOB 0 0" >>"$WORK/complexes"
  qconf -Mc "$WORK/complexes" >/dev/null
fi
if ! qconf -se "$HOST" >/dev/null 2>&1; then
  printf '%s\n' "hostname $HOST" "load_scaling NONE" "complex_values gpu=2" "user_lists NONE" "xuser_lists NONE" \
    "projects NONE" "xprojects NONE" "usage_scaling NONE" "report_variables NONE" >"$WORK/host"
  qconf -Ae "$WORK/host" >/dev/null
elif ! qconf -se "$HOST" | grep -q '^complex_values .*gpu=2'; then
  qconf -mattr exechost complex_values gpu=2 "$HOST" >/dev/null
fi
qconf -ss 2>/dev/null | grep -qx "$HOST" || qconf -as "$HOST" >/dev/null
if ! qconf -shgrp @allhosts >/dev/null 2>&1; then
  printf '%s\n' "group_name @allhosts" "hostlist $HOST" >"$WORK/hostgroup"
  qconf -Ahgrp "$WORK/hostgroup" >/dev/null
fi

# smp: slots on one host, loosely integrated (one accounting line). mpi: tightly integrated (qrsh -inherit), one
# accounting line per task (accounting_summary FALSE).
pe() {
  qconf -sp "$1" >/dev/null 2>&1 && return
  printf '%s\n' "pe_name $1" "slots 999" "user_lists NONE" "xuser_lists NONE" "start_proc_args NONE" "stop_proc_args NONE" \
    "allocation_rule \$pe_slots" "control_slaves $2" "job_is_first_task $3" "urgency_slots min" "accounting_summary FALSE" \
    "qsort_args NONE" >"$WORK/pe"
  qconf -Ap "$WORK/pe" >/dev/null
}
pe smp FALSE TRUE
pe mpi TRUE FALSE

if ! qconf -sq all.q >/dev/null 2>&1; then
  {
    printf '%s\n' "qname all.q" "hostlist @allhosts" "seq_no 0" "load_thresholds NONE" "suspend_thresholds NONE" "nsuspend 1" \
      "suspend_interval 00:05:00" "priority 0" "min_cpu_interval 00:05:00" "processors UNDEFINED" "qtype BATCH INTERACTIVE" \
      "ckpt_list NONE" "pe_list smp mpi" "rerun FALSE" "slots 16" "tmpdir /tmp" "shell /bin/sh" "prolog NONE" "epilog NONE" \
      "shell_start_mode posix_compliant" "starter_method NONE" "suspend_method NONE" "resume_method NONE" \
      "terminate_method NONE" "notify 00:00:60" "owner_list NONE" "user_lists NONE" "xuser_lists NONE" \
      "subordinate_list NONE" "complex_values NONE" "projects NONE" "xprojects NONE" "calendar NONE" "initial_state default"
    for limit in rt cpu fsize data stack core rss vmem; do printf '%s\n' "s_$limit INFINITY" "h_$limit INFINITY"; done
  } >"$WORK/queue"
  qconf -Aq "$WORK/queue" >/dev/null
fi

# Users in two projects; gebob in both.
getent group gephys >/dev/null || groupadd gephys
getent group gechem >/dev/null || groupadd gechem
id gealice >/dev/null 2>&1 || useradd -m -g gephys gealice
id gebob >/dev/null 2>&1 || useradd -m -g gephys gebob
id gecarol >/dev/null 2>&1 || useradd -m -g gechem gecarol
project() {
  qconf -sprj "$1" >/dev/null 2>&1 && return
  qconf -au "$2" "$1_users" >/dev/null
  printf '%s\n' "name $1" "oticket 0" "fshare 0" "acl $1_users" "xacl NONE" >"$WORK/project"
  qconf -Aprj "$WORK/project" >/dev/null
}
project physics gealice,gebob
project chemistry gebob,gecarol

if ! qping -info "$HOST" 6445 execd 1 >/dev/null 2>&1; then
  (cd / && daemon sge_execd) || fail "sge_execd did not start: see /var/spool/gridengine/execd/*/messages"
  wait_for "sge_execd does not answer: see /var/spool/gridengine/execd/*/messages" qping -info "$HOST" 6445 execd 1
fi
# The queue takes jobs once the exec host has reported its load; an error state left by an earlier run is cleared.
queue_ready() { qstat -f -q "all.q@$HOST" | awk -v q="all.q@$HOST" '$1 == q && $4 != "-NA-" && $6 == "" { ok = 1 } END { exit !ok }'; }
queue_ready || qmod -c "all.q@$HOST" >/dev/null 2>&1 || true
wait_for "the queue all.q@$HOST does not take jobs: see qstat -f -explain aE" queue_ready
echo "Grid Engine ready on $HOST: $COMMON/accounting"
