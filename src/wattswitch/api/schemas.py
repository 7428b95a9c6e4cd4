"""Request and response bodies of the API (pydantic). Numbers must be finite; text may not hold
control characters where it names something; ids are positive 32-bit integers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from wattswitch.sim.runner import POLICY_NAMES
from wattswitch.store.codec import bad_text

MAX_ID = 2**31 - 1
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"


def _storable(value: str) -> str:
    problem = bad_text(value)
    if problem:
        raise ValueError(f"text {problem}")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NAME_PATTERN), AfterValidator(_storable)]
Text = Annotated[str, Field(max_length=4000), AfterValidator(_storable)]
LongText = Annotated[str, Field(max_length=1_000_000), AfterValidator(_storable)]
Role = Literal["admin", "operator", "analyst", "tenant"]
PolicyName = Literal["always-on", "threshold", "mpc", "oracle"]
assert set(POLICY_NAMES) == {"always-on", "threshold", "mpc", "oracle"}
RunStatus = Literal["queued", "running", "succeeded", "failed"]
def _iso_day(value: Any) -> Any:
    """Days are written YYYY-MM-DD: a bare number (``end=0``) is not read as a Unix time in 1970."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value.strip()):
        raise ValueError("a day is written YYYY-MM-DD")
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    Field(
        ge=date(1970, 1, 1),
        le=date(2200, 12, 31),
        description="A day, YYYY-MM-DD, from 1970-01-01 to 2200-12-31",
    ),
]


class Strict(BaseModel):
    """Unknown fields are errors; NaN and infinities are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Out(BaseModel):
    """Response bodies (built from rows)."""

    model_config = ConfigDict(from_attributes=True)


class Health(Out):
    status: Literal["ok"]
    version: str
    database: str


# --- keys -------------------------------------------------------------------------------------------


class KeyCreate(Strict):
    name: Name
    role: Role
    tenant_id: Id | None = Field(default=None, description="Required for (and only for) role 'tenant'")


class KeyInfo(Out):
    id: int
    name: str
    prefix: str
    role: str
    tenant_id: int | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(Out):
    key: KeyInfo
    secret: str = Field(description="The key itself: shown only now, stored only as a hash")


# --- tenants ------------------------------------------------------------------------------------------


class TenantCreate(Strict):
    name: Name


class Tenant(Out):
    id: int
    name: str
    created_at: datetime


class ReservationCreate(Strict):
    gpu_group: Name
    node_count: int = Field(ge=1, le=1_000_000)
    gpus_per_node: int = Field(default=8, ge=1, le=64)
    price_usd_per_gpu_hour: float = Field(gt=0, le=10_000)
    uptime_target_fraction: float = Field(default=0.999, ge=0, le=1)
    credit_fraction_per_0_1pct: float = Field(default=0.05, ge=0, le=1)
    max_credit_fraction: float = Field(default=0.30, ge=0, le=1)
    starts_on: Day
    ends_on: Day | None = None
    site_id: Id | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ReservationCreate:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class Reservation(Out):
    id: int
    tenant_id: int
    site_id: int | None
    gpu_group: str
    node_count: int
    gpus_per_node: int
    price_usd_per_gpu_hour: float
    uptime_target_fraction: float
    credit_fraction_per_0_1pct: float
    max_credit_fraction: float
    starts_on: date
    ends_on: date | None


class TenantDetail(Tenant):
    reservations: list[Reservation]


class UsageCreate(Strict):
    day: Day
    gpu_hours: float = Field(ge=0, le=1e9)
    unavailable_gpu_hours: float = Field(
        default=0.0, ge=0, le=1e9, description="Reserved GPU-hours the site could not deliver (for the SLA)"
    )
    site_id: Id | None = None
    source: Text = ""


class UsageRecord(Out):
    id: int
    tenant_id: int
    site_id: int | None
    day: date
    gpu_hours: float
    unavailable_gpu_hours: float
    source: str
    created_at: datetime


class UsageDay(Out):
    day: date
    gpu_hours: float
    unavailable_gpu_hours: float
    records: int


class SlaMonth(Out):
    month: str
    reservation_id: int
    reserved_gpu_hours: float
    unavailable_gpu_hours: float
    uptime_fraction: float
    bill_usd: float
    credit_usd: float
    net_usd: float


class UsageReport(Out):
    tenant_id: int
    start: date
    end: date
    days: list[UsageDay]
    total_gpu_hours: float
    records: int
    sla: list[SlaMonth]
    sla_credits_usd: float


class JobCreate(Strict):
    name: Name
    gpu_count: int = Field(ge=1, le=100_000)
    duration_s: float = Field(gt=0, le=1e8)
    preemptible: bool = False
    site_id: Id | None = None


class Job(Out):
    id: int
    tenant_id: int
    site_id: int | None
    name: str
    gpu_count: int
    duration_s: float
    preemptible: bool
    state: str
    submitted_at: datetime


# --- sites and scenarios ------------------------------------------------------------------------------


class SiteCreate(Strict):
    """At most one of ``assessment`` (JSON) or ``assessment_toml``."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["assessment", "assessment_toml"]}})
    name: Name
    description: Text = ""
    assessment: dict[str, Any] | None = Field(
        default=None, description="The site's planning attributes: a site file's tables as JSON"
    )
    assessment_toml: LongText | None = Field(default=None, description="... or a site file's TOML text")


class Site(Out):
    id: int
    name: str
    description: str
    has_assessment: bool
    created_at: datetime


class SiteDetail(Site):
    assessment: dict[str, Any] | None
    scenario_ids: list[int]
    plan_ids: list[int]
    latest_run_id: int | None


class ScenarioCreate(Strict):
    """Exactly one of ``scenario`` (JSON) or ``toml`` (a scenario file's text)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["scenario"]}, {"required": ["toml"]}]}
    )
    site_id: Id
    scenario: dict[str, Any] | None = Field(
        default=None, description="A scenario as JSON (`wattswitch scenario show --json` → .scenario)"
    )
    toml: LongText | None = Field(default=None, description="... or a scenario file's TOML text")


class Scenario(Out):
    id: int
    site_id: int
    name: str
    description: str
    start_utc: datetime
    end_utc: datetime
    step_s: int
    periods: int
    facility_nameplate_mw: float
    interconnect_limit_mw: float
    created_at: datetime


class ScenarioDetail(Scenario):
    scenario: dict[str, Any]
    toml: str


# --- runs -------------------------------------------------------------------------------------------


class RunCreate(Strict):
    scenario_id: Id
    policies: list[PolicyName] = Field(
        default=["mpc"],
        min_length=1,
        max_length=4,
        description="Always-on and the oracle are added (capture needs both)",
    )
    start: Day | None = Field(
        default=None,
        description="First day (site's local time), inside the scenario's horizon; default: the scenario's",
    )
    end: Day | None = Field(
        default=None,
        description=(
            "Day after the last (exclusive): after start, inside the scenario's horizon, and at most "
            "WATTSWITCH_MAX_RUN_DAYS (366 by default) after start"
        ),
    )
    step_s: Literal[300, 900] | None = None
    tenant_id: Id | None = Field(default=None, description="Share the run with this tenant")


class PolicyResult(Out):
    profit_usd: float
    capture: float | None


class Run(Out):
    id: int
    scenario_id: int
    site_id: int
    tenant_id: int | None
    kind: str
    policies: list[str]
    config: dict[str, Any]
    status: RunStatus
    progress: float
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results: dict[str, PolicyResult] | None


class RunMetrics(Out):
    run_id: int
    policies: dict[str, dict[str, Any]]
    notes: list[str]
    start_utc: datetime
    end_utc: datetime
    step_s: int
    periods: int


class SeriesOut(Out):
    policy: str
    name: str
    unit: str
    start_utc: datetime
    step_s: int
    values: list[float | None]


class RunSeries(Out):
    run_id: int
    series: list[SeriesOut]


class ComparedPolicy(Out):
    run_id: int
    scenario_id: int
    policy: str
    profit_usd: float
    capture: float | None
    revenue_usd: float
    mining_revenue_usd: float
    energy_cost_usd: float
    curtailed_fleet_hours: float


class RunComparison(Out):
    rows: list[ComparedPolicy]
    best: ComparedPolicy | None


# --- plans -------------------------------------------------------------------------------------------


class PlanCreate(Strict):
    """At most one of ``assessment`` (JSON) or ``assessment_toml``; neither plans the site's stored one."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["assessment", "assessment_toml"]}})
    site_id: Id
    assessment: dict[str, Any] | None = Field(
        default=None, description="Plan these attributes (default: the site's stored assessment)"
    )
    assessment_toml: LongText | None = None


class StrategySummary(Out):
    strategy: str
    feasible: bool
    npv_usd: float | None
    incremental_npv_usd: float | None
    irr: float | None
    payback_years: float | None
    capex_usd: float | None


class Plan(Out):
    id: int
    site_id: int
    recommended: str
    created_at: datetime
    strategies: list[StrategySummary]


class PlanDetail(Plan):
    assessment: dict[str, Any]
    result: dict[str, Any]


# --- decisions ----------------------------------------------------------------------------------------


class Decision(Out):
    id: int
    site_id: int
    interval_start_utc: datetime
    decision: dict[str, Any]
    state: str
    created_at: datetime
    applied_at: datetime | None
    confirmed_at: datetime | None


# --- live control: grid events and alerts ------------------------------------------------------------

GridEventKind = Literal["demand-response", "4cp"]
# A grid event's deadline outside these years is a typo; beyond them datetime arithmetic overflows.
EARLIEST_EVENT_UTC = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_EVENT_UTC = datetime(2100, 1, 1, tzinfo=UTC)


class GridEventCreate(Strict):
    kind: GridEventKind = "demand-response"
    target_mw: float = Field(ge=0, le=1e5, description="Site load to be at or below (MW)")
    deadline_utc: datetime | None = Field(
        default=None,
        description=(
            "When the site must be under target (default: now; acted on at once); "
            f"with a time zone, from {EARLIEST_EVENT_UTC:%Y-%m-%d} to before {LATEST_EVENT_UTC:%Y-%m-%d}"
        ),
    )
    duration_s: float = Field(gt=0, le=30 * 86400, description="How long the target holds after the deadline")

    @model_validator(mode="after")
    def _aware(self) -> GridEventCreate:
        deadline = self.deadline_utc
        if deadline is None:
            return self
        if deadline.tzinfo is None:
            raise ValueError("deadline_utc needs a time zone (e.g. 2025-08-20T20:00:00Z)")
        try:
            inside = EARLIEST_EVENT_UTC <= deadline < LATEST_EVENT_UTC
        except OverflowError:  # 0001-01-01T00:00:00+05:00 has no UTC equivalent
            inside = False
        if not inside:
            raise ValueError(
                f"deadline_utc must be from {EARLIEST_EVENT_UTC:%Y-%m-%d} to before "
                f"{LATEST_EVENT_UTC:%Y-%m-%d} (UTC)"
            )
        return self


class GridEvent(Out):
    id: int
    site_id: int
    kind: str
    target_mw: float
    deadline_utc: datetime
    end_utc: datetime
    source: str
    created_at: datetime
    acknowledged_at: datetime | None
    met_at: datetime | None
    cancelled_at: datetime | None


class Alert(Out):
    id: int
    site_id: int
    kind: str
    message: str
    raised_at: datetime
    cleared_at: datetime | None
