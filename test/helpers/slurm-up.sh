#!/usr/bin/env bash
# A one-node Slurm 22.05 with its accounting database, for the live tests (test/helpers/slurm.ts runs this; it can be
# run by hand too). Idempotent: daemons already answering are kept. Everything it writes is under $SLURM_HOME
# (default /tmp/accounting-slurm), except the `munge` key Debian installs: MariaDB runs on its own data folder, socket
# and port, whatever Debian's own instance does. Clients need SLURM_CONF=$SLURM_HOME/etc/slurm.conf. Ports: slurmctld
# 6817, slurmd 6818, slurmdbd 6819 (Slurm's defaults), MariaDB 6820 on 127.0.0.1.
#
# `slurm-up.sh --decay` starts instead a second cluster, `accounting-decay`, whose usage decays with a half-life of 2
# minutes (test/loaders/queries/fairshare-decay.live.test.ts): the same node and hardware under another cluster name,
# with its own slurmdbd (6829, its own database in the same MariaDB), slurmctld (6827) and slurmd (6828), everything
# under $SLURM_HOME/decay (clients: SLURM_CONF=$SLURM_HOME/decay/etc/slurm.conf). Not a second cluster of the same
# slurmdbd: sacctmgr adds a user's associations on every cluster of its slurmdbd when it is not told which, and fails
# (exit status 1) for each one without the account. Each mode starts munged and MariaDB when they are not running.
#
# Needs root and Debian's packages: apt-get install -y slurm-wlm slurmdbd mariadb-server munge
# On failure: one line on stderr saying why (with the last lines of a daemon's log), exit status 1.
set -euo pipefail

fail() {
  echo "$*" >&2
  exit 1
}

SLURM_HOME=${SLURM_HOME:-/tmp/accounting-slurm}
NODE=$(hostname -s)
case ${1:-} in
  "") CLUSTER=accounting HOME_DIR=$SLURM_HOME CTLD_PORT=6817 SLURMD_PORT=6818 DBD_PORT=6819 DATABASE=accounting_slurm ;;
  --decay) CLUSTER=accounting-decay HOME_DIR=$SLURM_HOME/decay CTLD_PORT=6827 SLURMD_PORT=6828 DBD_PORT=6829 DATABASE=accounting_slurm_decay ;;
  *) fail "usage: $0 [--decay]" ;;
esac
# slurmdbd reads slurmdbd.conf from the same folder.
export SLURM_CONF=$HOME_DIR/etc/slurm.conf

# The last lines of a log, on one line.
tail_of() { if [ -f "$1" ]; then tail -n 5 "$1" | tr '\n' ' '; else echo "(no log at $1)"; fi; }
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local seconds=$1
  shift
  for _ in $(seq $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  return 1
}
# The pid in a pid file, if that process runs and is the daemon the file is named after: a daemon stopped without its
# file leaves a pid that another process may hold by now, to be neither taken for the daemon nor stopped.
pid_of() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$1" .pid)" ] && echo "$pid"
}
running() { pid_of "$1" >/dev/null; }
# A daemon outlives the tests that start it: it gets none of their environment (their TMPDIR is removed after them, and
# is the tests' own: MariaDB, as user mysql, cannot write there), only SLURM_CONF; nor the start lock (fd 9).
daemon=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF="$SLURM_CONF")

[ "$(id -u)" = 0 ] || fail "the live Slurm needs root (it starts munged, MariaDB and Slurm's daemons as root), not $(id -un)"
for command in munged mariadbd mariadb-install-db mysql mysqladmin slurmdbd slurmctld slurmd sacctmgr sacct sbatch; do
  command -v "$command" >/dev/null ||
    fail "$command is missing: apt-get install -y slurm-wlm slurmdbd mariadb-server munge"
done

mkdir -p "$SLURM_HOME"/{log,run} "$HOME_DIR"/{etc,log,run,state,spool}
chmod 755 "$SLURM_HOME" "$HOME_DIR"
# One start at a time, of either cluster: test runs in parallel share the daemons (which must not inherit the lock:
# `9>&-`), both clusters munged and MariaDB.
exec 9>"$SLURM_HOME/run/start.lock"
flock -w 120 9 || fail "another start of the live Slurm holds $SLURM_HOME/run/start.lock"

# The configuration, rewritten only when it changes; a change stops the daemons that read it, started again below.
stop=()
write() {
  local file=$1 mode=$2 text
  shift 2
  text=$(cat)
  if [ ! -f "$file" ] || [ "$(cat "$file")" != "$text" ]; then
    (umask 077 && printf '%s\n' "$text" >"$file.new")
    chmod "$mode" "$file.new"
    mv "$file.new" "$file"
    stop+=("$@")
  fi
}

# What both clusters' slurm.conf say, the daemons' files under $HOME_DIR.
common_conf() {
  cat <<EOF
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
StateSaveLocation=$HOME_DIR/state
SlurmdSpoolDir=$HOME_DIR/spool
SlurmctldPidFile=$HOME_DIR/run/slurmctld.pid
SlurmdPidFile=$HOME_DIR/run/slurmd.pid
SlurmctldLogFile=$HOME_DIR/log/slurmctld.log
SlurmdLogFile=$HOME_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=100
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
AccountingStorageEnforce=associations,limits
AccountingStorageTRES=gres/gpu
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=2
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=8 RealMemory=8000 Gres=gpu:2 State=UNKNOWN
EOF
}

if [ "$CLUSTER" = accounting ]; then
  write "$SLURM_CONF" 644 "$HOME_DIR/run/slurmd.pid" "$HOME_DIR/run/slurmctld.pid" <<EOF
# Written by test/helpers/slurm-up.sh: a one-node cluster for the live tests.
$(common_conf)
PartitionName=batch Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$NODE MaxTime=INFINITE State=UP
# Fair-share (test/loaders/queries/fairshare.live.test.ts): usage never decays nor resets, and is folded into the
# factors every minute (the shortest PriorityCalcPeriod). Partitions of its own bill memory and GPUs; batch and gpu
# bill CPUs only, as the accounting tests expect. A job's usage since the last calculation is added when it ends only
# with AccountingStorageEnforce=limits (above): without it, that last part of every job is never charged.
PriorityType=priority/multifactor
PriorityDecayHalfLife=0
PriorityUsageResetPeriod=NONE
PriorityCalcPeriod=1
PartitionName=fsbatch Nodes=$NODE MaxTime=INFINITE State=UP TRESBillingWeights="CPU=1.0,Mem=0.25G"
PartitionName=fsgpu Nodes=$NODE MaxTime=INFINITE State=UP TRESBillingWeights="CPU=1.0,Mem=0.25G,GRES/gpu=2.0"
EOF
else
  write "$SLURM_CONF" 644 "$HOME_DIR/run/slurmd.pid" "$HOME_DIR/run/slurmctld.pid" <<EOF
# Written by test/helpers/slurm-up.sh --decay: a second one-node cluster, whose usage decays, for
# test/loaders/queries/fairshare-decay.live.test.ts.
$(common_conf)
# Usage decays with a half-life of 2 minutes (Slurm's unit: minutes), never resets, and a decay pass runs every minute
# (the shortest PriorityCalcPeriod), its time in StateSaveLocation's priority_last_decay_ran. Both partitions bill
# memory, and gpu GPUs too.
PriorityType=priority/multifactor
PriorityDecayHalfLife=2
PriorityUsageResetPeriod=NONE
PriorityCalcPeriod=1
PartitionName=batch Nodes=$NODE Default=YES MaxTime=INFINITE State=UP TRESBillingWeights="CPU=1.0,Mem=0.25G"
PartitionName=gpu Nodes=$NODE MaxTime=INFINITE State=UP TRESBillingWeights="CPU=1.0,Mem=0.25G,GRES/gpu=2.0"
EOF
fi

write "$HOME_DIR/etc/gres.conf" 644 "$HOME_DIR/run/slurmd.pid" "$HOME_DIR/run/slurmctld.pid" <<EOF
# GPUs without hardware: any two device files stand for them.
Name=gpu File=/dev/zero
Name=gpu File=/dev/full
EOF

PASSWORD=accounting-slurm-tests
write "$HOME_DIR/etc/slurmdbd.conf" 600 "$HOME_DIR/run/slurmdbd.pid" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$HOME_DIR/log/slurmdbd.log
PidFile=$HOME_DIR/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=6820
StorageLoc=$DATABASE
StorageUser=accounting_slurm
StoragePass=$PASSWORD
EOF

for pid_file in "${stop[@]}"; do
  if pid=$(pid_of "$pid_file"); then
    kill "$pid"
    wait_for 20 sh -c "! kill -0 $pid" || fail "$(basename "$pid_file" .pid) (pid $pid) does not stop"
  fi
done

# munge: Debian's key, the daemon as its own user.
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  [ -f /etc/munge/munge.key ] || runuser -u munge -- mungekey --create >/dev/null
  install -d -o munge -g munge -m 755 /run/munge
  "${daemon[@]}" runuser -u munge -- munged 2>/dev/null 9>&- || true
  wait_for 10 sh -c 'munge -n </dev/null | unmunge' || fail "munged does not come up: $(tail_of /var/log/munge/munged.log)"
fi

# MariaDB on its own data folder (made on first use), none of Debian's configuration read: a database and a user for
# slurmdbd, which reaches it over TCP on 127.0.0.1.
MARIADB=(--no-defaults --socket="$SLURM_HOME/run/mariadb/mariadb.sock")
if ! mysqladmin "${MARIADB[@]}" ping >/dev/null 2>&1; then
  if [ ! -d "$SLURM_HOME/mariadb/mysql" ]; then
    rm -rf "$SLURM_HOME/mariadb"
    install -d -o mysql -g mysql -m 700 "$SLURM_HOME/mariadb"
    # In the daemons' clean environment too: the tests' private TMPDIR is not the mysql user's to write.
    "${daemon[@]}" mariadb-install-db --no-defaults --datadir="$SLURM_HOME/mariadb" --user=mysql --auth-root-authentication-method=socket \
      --skip-test-db >"$SLURM_HOME/log/mariadb-install.log" 2>&1 ||
      fail "MariaDB's data folder cannot be made: $(tail_of "$SLURM_HOME/log/mariadb-install.log")"
  fi
  # Its socket, pid file and log, where the server (user mysql) can write them.
  install -d -o mysql -g mysql -m 755 "$SLURM_HOME/run/mariadb"
  rm -f "$SLURM_HOME/run/mariadb/mariadb.sock"
  touch "$SLURM_HOME/log/mariadb.log" && chown mysql:mysql "$SLURM_HOME/log/mariadb.log"
  log_start=$(($(wc -l <"$SLURM_HOME/log/mariadb.log") + 1))
  # This start's first error: the cause, where the last lines only say it aborts.
  first_error() { tail -n +"$log_start" "$SLURM_HOME/log/mariadb.log" | grep -m 1 '\[ERROR\]' || tail_of "$SLURM_HOME/log/mariadb.log"; }
  "${daemon[@]}" setsid mariadbd --no-defaults --user=mysql --datadir="$SLURM_HOME/mariadb" \
    --socket="$SLURM_HOME/run/mariadb/mariadb.sock" --pid-file="$SLURM_HOME/run/mariadb/mariadb.pid" \
    --tmpdir="$SLURM_HOME/run/mariadb" --bind-address=127.0.0.1 --port=6820 --log-error="$SLURM_HOME/log/mariadb.log" \
    </dev/null >/dev/null 2>&1 9>&- &
  mariadb_pid=$!
  # Up to two minutes (a first start after a kill recovers its logs), and no longer than the server lives.
  for _ in $(seq 480); do
    mysqladmin "${MARIADB[@]}" ping >/dev/null 2>&1 && break
    kill -0 "$mariadb_pid" 2>/dev/null || fail "MariaDB stops as it starts: $(first_error)"
    sleep 0.25
  done
  mysqladmin "${MARIADB[@]}" ping >/dev/null 2>&1 || fail "MariaDB does not come up: $(tail_of "$SLURM_HOME/log/mariadb.log")"
fi
mysql "${MARIADB[@]}" <<EOF || fail "cannot create slurmdbd's database in MariaDB"
CREATE DATABASE IF NOT EXISTS $DATABASE;
CREATE USER IF NOT EXISTS 'accounting_slurm'@'localhost' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS 'accounting_slurm'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON $DATABASE.* TO 'accounting_slurm'@'localhost';
GRANT ALL ON $DATABASE.* TO 'accounting_slurm'@'127.0.0.1';
EOF

if ! running "$HOME_DIR/run/slurmdbd.pid"; then
  "${daemon[@]}" slurmdbd 9>&- || fail "slurmdbd does not start: $(tail_of "$HOME_DIR/log/slurmdbd.log")"
fi
wait_for 30 sacctmgr -n list cluster || fail "slurmdbd does not answer: $(tail_of "$HOME_DIR/log/slurmdbd.log")"
if [ -z "$(sacctmgr -n list cluster "$CLUSTER" format=cluster)" ]; then
  sacctmgr -i add cluster "$CLUSTER" >/dev/null || fail "sacctmgr cannot add the cluster $CLUSTER"
fi

if ! running "$HOME_DIR/run/slurmctld.pid"; then
  "${daemon[@]}" slurmctld 9>&- || fail "slurmctld does not start: $(tail_of "$HOME_DIR/log/slurmctld.log")"
fi
wait_for 30 scontrol ping || fail "slurmctld does not answer: $(tail_of "$HOME_DIR/log/slurmctld.log")"

if ! running "$HOME_DIR/run/slurmd.pid"; then
  "${daemon[@]}" slurmd 9>&- || fail "slurmd does not start: $(tail_of "$HOME_DIR/log/slurmd.log")"
fi
node_up() { sinfo -h -n "$NODE" -o %T | grep -qE '^(idle|mixed|allocated)'; }
if ! wait_for 30 node_up; then
  scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
  wait_for 15 node_up || fail "the node $NODE is not up ($(sinfo -h -n "$NODE" -o '%T %E')): $(tail_of "$HOME_DIR/log/slurmd.log")"
fi
echo "Slurm is up: SLURM_CONF=$SLURM_CONF"
