#!/usr/bin/env bash
# A real single-node SLURM cluster (Debian's slurmctld, slurmd, slurmdbd, munge, MariaDB) for testing the
# `slurm` profile. Everything lives under one scratch folder; every daemon started here is stopped by its pid.
#
#   tests/slurm/cluster.sh up   DIR   install what is missing, start the daemons, wait for an idle node
#   tests/slurm/cluster.sh down DIR   stop every daemon this script started (pid files in DIR/pids)
#
# Facts this relies on are in ../shared/reference/SLURM.md (measured on this kind of machine).
set -euo pipefail

cmd=${1:?usage: cluster.sh up|down DIR}
D=${2:?usage: cluster.sh up|down DIR}
mkdir -p "$D"
D=$(cd "$D" && pwd)
PIDS="$D/pids"
GPUS=2   # stand-in GPU GRES (see gres.conf below): lets GPU requests schedule on a machine without one

log() { echo "[slurm-cluster] $*" >&2; }

stop_all() {
  # reverse start order; only the daemons whose pid files we wrote
  for name in slurmd slurmctld slurmdbd mariadb munged; do
    f="$PIDS/$name"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
    log "stopped $name (pid $pid)"
  done
  # the /etc/slurm links we made (never anything we did not create)
  if [ -f "$D/links" ]; then
    while read -r link; do
      [ -L "$link" ] && rm -f "$link"
    done < "$D/links"
    rm -f "$D/links"
  fi
}

if [ "$cmd" = down ]; then
  stop_all
  exit 0
fi
[ "$cmd" = up ] || { echo "unknown command '$cmd' (use up or down)" >&2; exit 2; }

# --- packages ------------------------------------------------------------------------------------
need=()
for exe in slurmctld slurmd slurmdbd sbatch sacct munged mariadbd; do
  command -v "$exe" >/dev/null 2>&1 || [ -x "/usr/sbin/$exe" ] || need+=("$exe")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing SLURM, munge and MariaDB (missing: ${need[*]})"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client slurmdbd munge mariadb-server >/dev/null
fi
export PATH="$PATH:/usr/sbin"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "timed out after ${t}s waiting for $what; logs are in $D/log"; return 1
}
trap 'rc=$?; if [ $rc -ne 0 ]; then log "bring-up failed; stopping what was started"; stop_all; fi' EXIT

mkdir -p "$PIDS" "$D/log" "$D/state" "$D/spool" "$D/run"
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)

# --- munge ---------------------------------------------------------------------------------------
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munge already running; leaving it alone"
else
  [ -f /etc/munge/munge.key ] || mungekey --create
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- munged --pid-file=/run/munge/ganrepro-test.pid
  wait_for 10 munged test -s /run/munge/ganrepro-test.pid
  cp /run/munge/ganrepro-test.pid "$PIDS/munged"
  wait_for 10 "munge to answer" bash -c 'munge -n | unmunge'
fi

# --- MariaDB (own datadir, socket and port; only for slurmdbd) ----------------------------------------
DBPORT=$(free_port)
DBPASS=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
DB="$D/db"   # mysqld runs as the mysql user: its data, socket and log live in a folder it owns
mkdir -p "$DB/data" && chown -R mysql:mysql "$DB" && chmod 755 "$D"
if ! runuser -u mysql -- test -x "$DB"; then
  log "the mysql user cannot reach $DB (a parent folder is not world-executable, e.g. made by mktemp -d); chmod 755 it"
  exit 1
fi
mariadb-install-db --no-defaults --user=mysql --datadir="$DB/data" --auth-root-authentication-method=socket \
  > "$D/log/mariadb-install.log" 2>&1 || { log "mariadb-install-db failed; see $D/log/mariadb-install.log"; exit 1; }
mariadbd --no-defaults --user=mysql --datadir="$DB/data" --socket="$DB/mysql.sock" --port="$DBPORT" \
  --bind-address=127.0.0.1 --pid-file="$DB/mysql.pid" --log-error="$DB/mariadb.log" \
  --skip-name-resolve > /dev/null 2>&1 &
echo $! > "$PIDS/mariadb"
wait_for 30 MariaDB mariadb --no-defaults -S "$DB/mysql.sock" -u root -e 'select 1'
mariadb --no-defaults -S "$DB/mysql.sock" -u root <<SQL
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
CREATE USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL

# --- configuration ---------------------------------------------------------------------------------
DBDPORT=$(free_port)
CTLPORT=$(free_port)
DPORT=$(free_port)
cat > "$D/slurm.conf" <<EOF
# written by tests/slurm/cluster.sh for ganrepro's SLURM test; safe to delete with $D
ClusterName=ganrepro
SlurmctldHost=$HOST
SlurmctldPort=$CTLPORT
SlurmdPort=$DPORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBDPORT
AccountingStorageTRES=gres/gpu
# keep the plugin's --comment (the rule name) so that sacct can say which rule each job ran
AccountingStoreFlags=job_comment
GresTypes=gpu
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM Gres=gpu:$GPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
# There is no GPU on a CI machine. SLURM 22.05 drops a file-less GPU GRES ("Removing file-less GPU"), so each
# stand-in GPU names a harmless device file. Jobs asking for --gpus get scheduled and see CUDA_VISIBLE_DEVICES;
# torch finds no CUDA and ganrepro's device=auto runs them on the CPU.
printf 'AutoDetect=off\nName=gpu File=/dev/null\nName=gpu File=/dev/zero\n' > "$D/gres.conf"
cat > "$D/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=$DBDPORT
SlurmUser=root
PidFile=$D/run/slurmdbd.pid
LogFile=$D/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DBPORT
StorageUser=slurm
StoragePass=$DBPASS
StorageLoc=slurm_acct_db
EOF
chmod 600 "$D/slurmdbd.conf"

# The plugin's job step strips SLURM_* variables, so the config must be found at /etc/slurm (SLURM.md).
mkdir -p /etc/slurm
: > "$D/links"
for f in slurm.conf slurmdbd.conf gres.conf; do
  target=/etc/slurm/$f
  # ours: a link to a file this script wrote (its first line says so), or a dangling link left by a killed test
  if [ -e "$target" ] && ! { [ -L "$target" ] && { [ "$f" != slurm.conf ] || grep -q "written by tests/slurm/cluster.sh" "$target"; }; }; then
    log "$target already exists and is not ours; refusing to replace a real cluster's configuration"
    exit 1
  fi
  ln -sfn "$D/$f" "$target"
  echo "$target" >> "$D/links"
done

# --- daemons ----------------------------------------------------------------------------------------
slurmdbd
wait_for 20 slurmdbd test -s "$D/run/slurmdbd.pid"
cp "$D/run/slurmdbd.pid" "$PIDS/slurmdbd"
wait_for 30 "slurmdbd to answer" sacctmgr -n list cluster
sacctmgr -i add cluster ganrepro > /dev/null
slurmctld
wait_for 20 slurmctld test -s "$D/run/slurmctld.pid"
cp "$D/run/slurmctld.pid" "$PIDS/slurmctld"
slurmd
wait_for 20 slurmd test -s "$D/run/slurmd.pid"
cp "$D/run/slurmd.pid" "$PIDS/slurmd"
wait_for 60 "an idle node" bash -c '[ "$(sinfo -h -o %T | head -1)" = idle ]'
log "up: node $HOST, $CPUS CPUs, ${MEM} MB, gpu:$GPUS (count-only), partition debug; config in $D"
trap - EXIT
