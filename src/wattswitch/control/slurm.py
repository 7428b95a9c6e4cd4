"""Slurm adapter: a :class:`~wattswitch.model.equipment.GpuCluster` over Slurm's own commands.

Reads go through ``sinfo --json`` and ``squeue --json`` (parsed by the pure ``parse_*`` functions
below, tested on JSON captured from a real Slurm 22.05); actions through ``scontrol`` and
``sbatch --parsable``. pyslurm is not used (no release works with Slurm 22.05).

Preemptibility is a matter of partition: jobs in ``SlurmSettings.preemptible_partitions``
(``spot`` in ``scripts/start-slurm.sh``) may be suspended or requeued to shed power; the others
(``reserved``) are never touched. A requeued job is held (``scontrol requeuehold``) so it does not
restart before power returns; :meth:`SlurmCluster.release` lets it run again.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import GpuCluster, GpuJob, GpuJobState, GpuNode, GpuNodeState, JobSpec

_JOB_ID = re.compile(r"^\d+(_\d+)?$")
_NODE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
# "Job is pending execution for job 12": how scontrol names the job an error is about
_FOR_JOB = re.compile(r"for job (\d+(?:_\d+)?)\s*$")
_SUSPEND_BATCH = 200  # job ids per `scontrol suspend` call (a comma list; keeps argv short)

_JOB_STATES: dict[str, GpuJobState] = {
    "PENDING": "pending",
    "REQUEUED": "pending",
    "REQUEUE_HOLD": "pending",
    "REQUEUE_FED": "pending",
    "RUNNING": "running",
    "SUSPENDED": "suspended",
    "COMPLETING": "completing",
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
    "FAILED": "failed",
    "TIMEOUT": "failed",
    "NODE_FAIL": "failed",
    "OUT_OF_MEMORY": "failed",
    "BOOT_FAIL": "failed",
    "DEADLINE": "failed",
}
_NODE_BASE_STATES: dict[str, GpuNodeState] = {
    "IDLE": "idle",
    "ALLOCATED": "allocated",
    "ALLOC": "allocated",
    "MIXED": "mixed",
    "MIX": "mixed",
    "DOWN": "down",
    "DRAINED": "drained",
    "DRAINING": "draining",
    "DRAIN": "drained",
}


@dataclass(frozen=True)
class SlurmSettings:
    """Where Slurm is and how wattswitch uses it.

    ``slurm_conf`` is passed to every command as ``SLURM_CONF`` (None: the environment's or
    Slurm's default). Jobs in ``preemptible_partitions`` may be paused to shed power; ``submit``
    puts preemptible specs in ``spot_partition`` and the others in ``reserved_partition``.
    ``bin_dir`` holds the Slurm commands (None: ``PATH``). Job output goes to ``job_output``
    (an sbatch ``--output`` pattern) with ``work_dir`` as the job's working directory.
    """

    slurm_conf: Path | None = None
    preemptible_partitions: tuple[str, ...] = ("spot",)
    spot_partition: str = "spot"
    reserved_partition: str = "reserved"
    command_timeout_s: float = 15.0
    bin_dir: Path | None = None
    work_dir: Path | None = None
    job_output: str = "/dev/null"
    requeue_hold: bool = True  # hold requeued jobs until release() (else Slurm restarts them in ~2 min)

    def __post_init__(self) -> None:
        if self.command_timeout_s <= 0:
            raise ValueError(f"command_timeout_s must be positive, got {self.command_timeout_s}")
        if self.spot_partition not in self.preemptible_partitions:
            raise ValueError(
                f"spot_partition {self.spot_partition!r} is not among the preemptible partitions "
                f"{self.preemptible_partitions}"
            )
        if self.reserved_partition in self.preemptible_partitions:
            raise ValueError(f"reserved_partition {self.reserved_partition!r} is listed as preemptible")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SlurmSettings:
        """Settings with ``slurm_conf`` from ``SLURM_CONF`` (when set) and the given overrides."""
        env = os.environ if environ is None else environ
        conf = env.get("SLURM_CONF")
        values: dict[str, Any] = {"slurm_conf": Path(conf) if conf else None}
        values.update(overrides)
        return cls(**values)


# --- pure parsing: Slurm's strings and JSON into the model ----------------------------------------


def _split_top_level(text: str, brackets: str = "()") -> list[str]:
    """Split on commas outside ``brackets``: ``gpu:a100:2(IDX:0,2),gpu:h100:1`` -> two items,
    ``gpu[01-02,04],cpu01`` (with ``"[]"``) -> two items."""
    opening, closing = brackets[0], brackets[1]
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == opening:
            depth += 1
        elif char == closing:
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _count(text: str, source: str) -> int:
    match = re.fullmatch(r"(\d+)([KMG]?)", text.strip())
    if match is None:
        raise ValueError(f"{source}: GPU count {text!r} is not a number")
    return int(match.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match.group(2)]


def parse_gres_gpus(gres: str | None) -> int:
    """GPUs in a GRES string: ``gpu:a100:4``, ``gpu:2``, ``gpu:a100:3(IDX:0-2)``, ``gres:gpu:2``,
    ``gres/gpu:a100:1``, or several comma-separated (other GRES are ignored); 0 for none/empty."""
    if not gres or gres.strip() in ("(null)", "N/A"):
        return 0
    total = 0
    for item in _split_top_level(gres):
        bare = item.split("(", 1)[0].strip()
        parts = bare.split(":")
        if parts[0] in ("gres", "gres/gpu"):
            parts = ["gpu", *parts[1:]] if parts[0] == "gres/gpu" else parts[1:]
        if not parts or parts[0] != "gpu":
            continue
        rest = parts[1:]
        if not rest:
            total += 1  # "gpu" alone is one
        elif re.fullmatch(r"\d+[KMG]?", rest[-1]):
            total += _count(rest[-1], gres)
        elif len(rest) == 1:
            total += 1  # "gpu:a100": one of that type
        else:
            raise ValueError(f"cannot read the GPU count in GRES {gres!r}")
    return total


def parse_tres_gpus(tres: str | None) -> int | None:
    """GPUs in a TRES string (``cpu=1,node=1,gres/gpu=2,gres/gpu:a100=2``); None if it names none.
    The untyped ``gres/gpu`` total wins; otherwise the typed ones are summed."""
    if not tres:
        return None
    untyped: int | None = None
    typed = 0
    seen_typed = False
    for item in _split_top_level(tres):
        key, _, value = item.partition("=")
        if key == "gres/gpu":
            untyped = _count(value, tres)
        elif key.startswith("gres/gpu:"):
            typed += _count(value, tres)
            seen_typed = True
    if untyped is not None:
        return untyped
    return typed if seen_typed else None


def expand_hostlist(hostlist: str | None) -> tuple[str, ...]:
    """Slurm host list to names: ``gpu[01-03,07],cpu1`` -> gpu01, gpu02, gpu03, gpu07, cpu1."""
    if not hostlist or hostlist in ("(null)", "None"):
        return ()
    names: list[str] = []
    for item in _split_top_level(hostlist, "[]"):
        names.extend(_expand_one(item, hostlist))
    return tuple(names)


def _expand_one(item: str, whole: str) -> list[str]:
    match = re.fullmatch(r"([^\[\]]*)\[([^\[\]]+)\]([^\[\]]*)", item)
    if match is None:
        if "[" in item or "]" in item:
            raise ValueError(f"cannot read the host list {whole!r}")
        return [item]
    prefix, ranges, suffix = match.groups()
    names: list[str] = []
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f"cannot read the host list {whole!r}")
        width = len(low)
        for number in range(int(low), int(high or low) + 1):
            names.append(f"{prefix}{number:0{width}d}{suffix}")
    return names


def _flags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.upper()]
    return [str(v).upper() for v in value]


def node_state(state: str | Sequence[str] | None, state_flags: Sequence[str] | None = ()) -> GpuNodeState:
    """Slurm node state (``idle`` + flag ``DRAIN``, or 22.05+'s list ``["IDLE", "DRAIN"]``) to ours."""
    words = [*_flags(state), *_flags(state_flags)]
    if not words:
        return "unknown"
    base = _NODE_BASE_STATES.get(words[0].rstrip("*~#!%$@^-+"), "unknown")
    if "DRAIN" in words[1:] or base in ("drained", "draining"):
        if base in ("allocated", "mixed", "draining"):
            return "draining"
        if base in ("idle", "drained"):
            return "drained"
    return base


def job_state(state: str | Sequence[str] | None) -> GpuJobState:
    """Slurm job state (``"RUNNING"``, or ``["COMPLETED", "COMPLETING"]`` in newer Slurm) to ours."""
    words = _flags(state)
    if not words:
        return "other"
    if "COMPLETING" in words:
        return "completing"
    return _JOB_STATES.get(words[0], "other")


def _payload(text: str, command: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EquipmentError(f"slurm: `{command}` printed no valid JSON ({exc}): {text[:200]!r}") from exc
    if not isinstance(payload, dict):
        raise EquipmentError(f"slurm: `{command}` printed {type(payload).__name__}, expected a JSON object")
    errors = payload.get("errors") or []
    if errors:
        described = "; ".join(
            f"{e.get('source', '?')}: {e.get('description') or e.get('error', '?')}"
            if isinstance(e, dict)
            else str(e)
            for e in errors
        )
        raise EquipmentError(f"slurm: `{command}` reported errors (is slurmctld up?): {described}")
    return payload


def parse_sinfo_json(text: str, command: str = "sinfo --json") -> list[GpuNode]:
    """Nodes of ``sinfo --json`` (each once, by name); raises EquipmentError on Slurm's errors."""
    payload = _payload(text, command)
    nodes: dict[str, GpuNode] = {}
    try:
        for raw in payload.get("nodes", []):
            name = str(raw["name"])
            if name in nodes:
                continue
            nodes[name] = GpuNode(
                name=name,
                state=node_state(raw.get("state"), raw.get("state_flags")),
                gpu_count=parse_gres_gpus(raw.get("gres")),
                gpus_in_use=parse_gres_gpus(raw.get("gres_used")),
                reason=str(raw.get("reason") or ""),
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise EquipmentError(f"slurm: cannot read a node of `{command}`: {exc}") from exc
    return sorted(nodes.values(), key=lambda n: n.name)


def _job_gpus(raw: Mapping[str, Any], node_count: int) -> int:
    detail = raw.get("gres_detail") or []
    if detail:
        return sum(parse_gres_gpus(str(d)) for d in detail)
    per_node = raw.get("tres_per_node")
    if per_node:
        return parse_gres_gpus(str(per_node)) * max(1, node_count)
    per_job = raw.get("tres_per_job")
    if per_job:
        return parse_gres_gpus(str(per_job))
    for key in ("tres_alloc_str", "tres_req_str"):
        found = parse_tres_gpus(raw.get(key))
        if found is not None:
            return found
    return 0


def parse_squeue_json(
    text: str, preemptible_partitions: Iterable[str] = ("spot",), command: str = "squeue --json"
) -> list[GpuJob]:
    """Jobs of ``squeue --json``; a job is preemptible when its partition is one of
    ``preemptible_partitions``. Raises EquipmentError on Slurm's errors (e.g. slurmctld down)."""
    payload = _payload(text, command)
    preemptible = set(preemptible_partitions)
    jobs: list[GpuJob] = []
    try:
        for raw in payload.get("jobs", []):
            nodes = expand_hostlist(raw.get("nodes"))
            node_count = int(raw.get("node_count") or len(nodes) or 1)
            partition = str(raw.get("partition") or "")
            jobs.append(
                GpuJob(
                    job_id=str(raw["job_id"]),
                    name=str(raw.get("name") or ""),
                    state=job_state(raw.get("job_state")),
                    nodes=nodes,
                    gpu_count=_job_gpus(raw, node_count),
                    preemptible=bool(set(partition.split(",")) & preemptible),
                    partition=partition,
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise EquipmentError(f"slurm: cannot read a job of `{command}`: {exc}") from exc
    return jobs


def parse_sbatch_parsable(text: str) -> str:
    """The job id ``sbatch --parsable`` prints (``123`` or ``123;cluster``)."""
    job_id = text.strip().splitlines()[-1].split(";", 1)[0].strip() if text.strip() else ""
    if not _JOB_ID.match(job_id):
        raise ValueError(f"sbatch printed {text.strip()!r}, expected a job id")
    return job_id


def failed_job_ids(stderr: str) -> dict[str, str]:
    """Which jobs a multi-job ``scontrol`` call failed for: ``{job_id: message}`` from its stderr."""
    failed: dict[str, str] = {}
    for line in stderr.splitlines():
        match = _FOR_JOB.search(line.strip())
        if match:
            failed[match.group(1)] = line.strip()
    return failed


def _failure(what: str, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> EquipmentError:
    message = (result.stderr.strip() or result.stdout.strip() or "no message").replace("\n", "; ")
    return EquipmentError(f"slurm: {what}: `{shlex.join(args)}` failed (exit {result.returncode}): {message}")


# --- the adapter ----------------------------------------------------------------------------------


@dataclass
class SlurmCluster:
    """A :class:`GpuCluster` run by Slurm, commanded through its CLI (``sinfo``, ``squeue``,
    ``scontrol``, ``sbatch``, ``scancel``) as a user allowed to suspend jobs (root or operator)."""

    settings: SlurmSettings = field(default_factory=SlurmSettings)

    # - commands -

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings.slurm_conf is not None:
            env["SLURM_CONF"] = str(self.settings.slurm_conf)
        return env

    def _binary(self, name: str) -> str:
        path = str(self.settings.bin_dir) if self.settings.bin_dir is not None else None
        found = shutil.which(name, path=path)
        if found is None:
            where = f"in {self.settings.bin_dir}" if path else "on PATH"
            raise EquipmentError(
                f"slurm: `{name}` not found {where}: install the Slurm client commands "
                "(apt-get install slurm-client, or scripts/install-system-deps.sh)"
            )
        return found

    def _run(self, args: Sequence[str], what: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one Slurm command; a missing binary, a timeout or (with ``check``) a non-zero exit raise
        EquipmentError naming ``what`` (e.g. "suspend job 12"), the command and Slurm's stderr."""
        command = [self._binary(args[0]), *args[1:]]
        shown = shlex.join(args)
        conf = self.settings.slurm_conf
        if conf is not None and not conf.is_file():  # else each command retries reading it for 60 s
            raise EquipmentError(f"slurm: {what}: slurm.conf {conf} does not exist (SLURM_CONF)")
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=self.settings.command_timeout_s,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EquipmentError(
                f"slurm: {what}: `{shown}` timed out after {self.settings.command_timeout_s:g} s "
                "(is slurmctld reachable?)"
            ) from exc
        except OSError as exc:
            raise EquipmentError(f"slurm: {what}: `{shown}` could not run: {exc}") from exc
        if check and result.returncode != 0:
            raise _failure(what, args, result)
        return result

    @staticmethod
    def _check_job_id(job_id: str) -> str:
        if not _JOB_ID.match(job_id):
            raise EquipmentError(f"slurm: {job_id!r} is not a Slurm job id (expected digits, e.g. '123')")
        return job_id

    @staticmethod
    def _check_node(node: str) -> str:
        if not _NODE_NAME.match(node):
            raise EquipmentError(f"slurm: {node!r} is not a node name")
        return node

    # - reads -

    def nodes(self) -> list[GpuNode]:
        result = self._run(["sinfo", "--json"], "list nodes")
        return parse_sinfo_json(result.stdout)

    def jobs(self) -> list[GpuJob]:
        result = self._run(["squeue", "--json"], "list jobs")
        return parse_squeue_json(result.stdout, self.settings.preemptible_partitions)

    def job(self, job_id: str) -> GpuJob:
        """One job by id (EquipmentError when Slurm no longer knows it)."""
        for found in self.jobs():
            if found.job_id == job_id:
                return found
        raise EquipmentError(f"slurm: job {job_id} is unknown to Slurm (finished longer ago than MinJobAge?)")

    # - actions -

    def suspend(self, job_id: str) -> None:
        self._run(["scontrol", "suspend", self._check_job_id(job_id)], f"suspend job {job_id}")

    def suspend_many(self, job_ids: Sequence[str]) -> dict[str, str]:
        """Suspend several jobs with one ``scontrol suspend 1,2,3`` per batch; returns the jobs that
        failed with Slurm's message (the others are suspended). Raises only when a whole call fails
        without naming its jobs (e.g. slurmctld down)."""
        failed: dict[str, str] = {}
        ids = [self._check_job_id(job_id) for job_id in job_ids]
        for start in range(0, len(ids), _SUSPEND_BATCH):
            batch = ids[start : start + _SUSPEND_BATCH]
            args = ["scontrol", "suspend", ",".join(batch)]
            what = f"suspend {len(batch)} jobs"
            result = self._run(args, what, check=False)
            if result.returncode != 0:
                named = failed_job_ids(result.stderr)
                if not named:
                    raise _failure(what, args, result)
                failed.update(
                    {job_id: f"slurm: suspend job {job_id}: {msg}" for job_id, msg in named.items()}
                )
        return failed

    def resume(self, job_id: str) -> None:
        self._run(["scontrol", "resume", self._check_job_id(job_id)], f"resume job {job_id}")

    def requeue(self, job_id: str) -> None:
        """Requeue a running or suspended job; held until :meth:`release` when ``requeue_hold``."""
        verb = "requeuehold" if self.settings.requeue_hold else "requeue"
        self._run(["scontrol", verb, self._check_job_id(job_id)], f"requeue job {job_id}")

    def release(self, job_id: str) -> None:
        """Let a requeued (held) job run again (``scontrol release``); the job must be pending.

        Slurm starts it once its requeue delay is over (the BeginTime it set on requeue:
        ``AuthInfo=cred_expire``, 120 s by default). That delay is not cleared on purpose: until
        it passes the node still holds the job's revoked credential, and a job started earlier is
        killed at launch ("Job credential revoked") and ends FAILED instead of running again.
        """
        self._run(["scontrol", "release", self._check_job_id(job_id)], f"release job {job_id}")

    def cancel(self, job_id: str) -> None:
        """Cancel a job (``scancel``)."""
        self._run(["scancel", self._check_job_id(job_id)], f"cancel job {job_id}")

    def drain(self, node: str, reason: str) -> None:
        if not reason.strip():
            raise EquipmentError(f"slurm: drain node {node}: Slurm needs a reason to drain a node")
        self._run(
            ["scontrol", "update", f"nodename={self._check_node(node)}", "state=drain", f"reason={reason}"],
            f"drain node {node}",
        )

    def undrain(self, node: str) -> None:
        """Return a node to service; a node that is not drained is left as it is."""
        try:
            self._run(
                ["scontrol", "update", f"nodename={self._check_node(node)}", "state=resume"],
                f"undrain node {node}",
            )
        except EquipmentError as exc:
            if "Invalid node state specified" not in str(exc):
                raise
            current = {n.name: n for n in self.nodes()}.get(node)
            if current is None or current.state in ("drained", "draining"):
                raise
            # Slurm refuses to resume a node that is not drained or down: nothing to do

    def submit(self, spec: JobSpec) -> str:
        partition = self.settings.spot_partition if spec.preemptible else self.settings.reserved_partition
        args = [
            "sbatch",
            "--parsable",
            f"--job-name={spec.name}",
            f"--partition={partition}",
            f"--nodes={spec.node_count}",
            "--cpus-per-task=1",
            "--requeue",
            f"--output={self.settings.job_output}",
        ]
        if spec.gpus_per_node > 0:
            args.append(f"--gres=gpu:{spec.gpus_per_node}")
        if self.settings.work_dir is not None:
            args.append(f"--chdir={self.settings.work_dir}")
        args += ["--wrap", spec.command]
        result = self._run(args, f"submit job {spec.name!r}")
        try:
            return parse_sbatch_parsable(result.stdout)
        except ValueError as exc:
            raise EquipmentError(f"slurm: submit job {spec.name!r}: {exc}") from exc


# --- helpers for any cluster ----------------------------------------------------------------------


@runtime_checkable
class BatchSuspender(Protocol):
    """A cluster that suspends many jobs in one call (Slurm: ``scontrol suspend 1,2,3``)."""

    def suspend_many(self, job_ids: Sequence[str]) -> dict[str, str]: ...


@dataclass(frozen=True)
class SuspendOutcome:
    """Which preemptible jobs were paused and which could not be (job id -> error message)."""

    suspended: tuple[str, ...]
    failed: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return not self.failed


def suspend_preemptible(cluster: GpuCluster) -> SuspendOutcome:
    """Pause every running preemptible job, continuing past individual failures (reported in the
    outcome). Raises EquipmentError only when the job list itself cannot be read."""
    running = [job.job_id for job in cluster.jobs() if job.preemptible and job.state == "running"]
    failed: dict[str, str] = {}
    if isinstance(cluster, BatchSuspender) and running:
        try:
            failed = dict(cluster.suspend_many(running))
        except EquipmentError as exc:
            failed = {job_id: str(exc) for job_id in running}
    else:
        for job_id in running:
            try:
                cluster.suspend(job_id)
            except EquipmentError as exc:
                failed[job_id] = str(exc)
    return SuspendOutcome(tuple(j for j in running if j not in failed), failed)


def resume_jobs(cluster: GpuCluster, job_ids: Iterable[str]) -> dict[str, str]:
    """Resume the given suspended jobs, continuing past failures; returns ``{job_id: error}``."""
    failed: dict[str, str] = {}
    for job_id in job_ids:
        try:
            cluster.resume(job_id)
        except EquipmentError as exc:
            failed[job_id] = str(exc)
    return failed
