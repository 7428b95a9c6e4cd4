#!/usr/bin/env bash
# A throwaway single-host Slurm 22.05 cluster with fake GPU nodes, bound to 127.0.0.1 only.
#
# Usage: scripts/start-slurm.sh BASE [NODES=4] [GPUS_PER_NODE=4]
#   env: CTLD_PORT (16817), SLURMD_PORT0 (17000; node i listens on SLURMD_PORT0+i),
#        WITH_SLURMRESTD=1 to also start slurmrestd on 127.0.0.1:REST_PORT (16820), as `nobody`.
# Prints `export SLURM_CONF=BASE/etc/slurm.conf` last. Stop with scripts/stop-slurm.sh BASE.
# Prereq (root): scripts/install-system-deps.sh (slurmctld slurmd slurm-client munge slurmrestd).
#
# Preemptibility is expressed by partition: both partitions cover every node,
#   spot      preemptible work (wattswitch may suspend or requeue it to shed power), the default;
#   reserved  contracted work (never touched by the power controller).
# Slurm itself does no preemption here (PreemptType=preempt/none): wattswitch decides.
# Daemons run as root except munged (user munge) and slurmrestd (nobody); state survives a
# slurmctld restart (StateSaveLocation=BASE/state).
set -euo pipefail
B=${1:?usage: start-slurm.sh BASE [NODES] [GPUS_PER_NODE]}; N=${2:-4}; G=${3:-4}
CTLD_PORT=${CTLD_PORT:-16817}; SLURMD_PORT0=${SLURMD_PORT0:-17000}; REST_PORT=${REST_PORT:-16820}
WITH_SLURMRESTD=${WITH_SLURMRESTD:-0}
for bin in slurmctld slurmd sinfo munged; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || {
    echo "start-slurm: $bin is missing; run scripts/install-system-deps.sh as root" >&2; exit 1; }
done
mkdir -p "$B"/{etc,state,spool,log,run,dev,jobs,munge}
B=$(cd "$B" && pwd)
chmod 755 "$B"  # munged runs as user munge and must reach BASE/munge (mktemp -d makes 700)
last=$(printf "%02d" "$N")

# --- munge: private key and socket ------------------------------------------------------------
dd if=/dev/urandom of="$B/munge/munge.key" bs=128 count=1 status=none
chown -R munge:munge "$B/munge"; chmod 755 "$B/munge"; chmod 400 "$B/munge/munge.key"
runuser -u munge -- /usr/sbin/munged --key-file="$B/munge/munge.key" --socket="$B/munge/munge.sock" \
  --pid-file="$B/munge/munged.pid" --log-file="$B/munge/munged.log" --seed-file="$B/munge/munged.seed"

# --- fake GPU devices (character devices, so slurmd accepts them quietly) ---------------------
for ((i = 0; i < G; i++)); do [ -e "$B/dev/nvidia$i" ] || mknod "$B/dev/nvidia$i" c 195 "$i"; done
dd if=/dev/urandom of="$B/etc/jwt_hs256.key" bs=32 count=1 status=none; chmod 600 "$B/etc/jwt_hs256.key"

cat > "$B/etc/slurm.conf" <<CONF
ClusterName=wattswitch
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# a requeued job waits cred_expire seconds before it may start again (Slurm revokes its credential)
AuthInfo=socket=$B/munge/munge.sock,cred_expire=10
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$B/etc/jwt_hs256.key
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
StateSaveLocation=$B/state
SlurmdSpoolDir=$B/spool/%n
SlurmctldPidFile=$B/run/slurmctld.pid
SlurmdPidFile=$B/run/slurmd-%n.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
PreemptType=preempt/none
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=300
KillWait=5
SlurmctldDebug=info
SlurmdDebug=info
GresTypes=gpu
NodeName=gpu[01-$last] NodeHostname=localhost NodeAddr=127.0.0.1 Port=[$((SLURMD_PORT0 + 1))-$((SLURMD_PORT0 + N))] CPUs=8 RealMemory=64000 Gres=gpu:a100:$G State=UNKNOWN
PartitionName=spot Nodes=gpu[01-$last] Default=YES MaxTime=INFINITE State=UP
PartitionName=reserved Nodes=gpu[01-$last] Default=NO MaxTime=INFINITE State=UP
CONF
cat > "$B/etc/gres.conf" <<CONF
AutoDetect=off
NodeName=gpu[01-$last] Name=gpu Type=a100 File=$B/dev/nvidia[0-$((G - 1))]
CONF
echo "CgroupPlugin=cgroup/v1" > "$B/etc/cgroup.conf"

export SLURM_CONF="$B/etc/slurm.conf"
slurmctld -i
for ((i = 1; i <= N; i++)); do n=$(printf "gpu%02d" "$i"); mkdir -p "$B/spool/$n"; slurmd -N "$n"; done
if [ "$WITH_SLURMRESTD" = 1 ]; then
  # slurmrestd refuses root; SLURM_JWT=daemon makes it use auth/jwt towards slurmctld
  chmod 755 "$B" "$B/etc" "$B/log"
  setsid setpriv --reuid=nobody --regid=nogroup --clear-groups env SLURM_CONF="$SLURM_CONF" SLURM_JWT=daemon \
    /usr/sbin/slurmrestd -a rest_auth/jwt -s openapi/v0.0.38 "127.0.0.1:$REST_PORT" \
    > "$B/log/slurmrestd.log" 2>&1 < /dev/null &
  echo $! > "$B/run/slurmrestd.pid"
fi
idle=0
for _ in $(seq 1 120); do
  idle=$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
  [ "$idle" -ge "$N" ] && break
  sleep 0.25
done
if [ "$idle" -lt "$N" ]; then
  echo "start-slurm: only $idle of $N nodes idle after 30 s; see $B/log/" >&2
  sinfo -N -o "%N %T %E" >&2 || true
  exit 1
fi
echo "export SLURM_CONF=$SLURM_CONF"
