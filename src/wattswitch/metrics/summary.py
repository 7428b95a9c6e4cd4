"""Machine-readable summaries of ledgers (the shape ``--json`` prints)."""

from __future__ import annotations

from typing import Any

from wattswitch.sim.ledger import ENERGY_USES, REVENUE_STREAMS, Ledger

COSTS = ("energy", "four_cp", "sla_credits")


def ledger_summary(ledger: Ledger, capture: float | None = None) -> dict[str, Any]:
    """Profit, capture, revenue by stream, costs, MWh by use and the operational counts."""
    totals = ledger.totals
    return {
        "profit_usd": round(totals["profit_usd"], 2),
        "capture": None if capture is None else round(capture, 4),
        "revenue_usd": {s: round(totals[f"revenue_{s}_usd"], 2) for s in REVENUE_STREAMS},
        "cost_usd": {c: round(totals[f"cost_{c}_usd"], 2) for c in COSTS},
        "energy_mwh": {u: round(totals[f"energy_{u}_mwh"], 3) for u in (*ENERGY_USES, "site")},
        "curtailed_fleet_hours": round(totals["curtailed_fleet_hours"], 2),
        "four_cp_charge_usd": round(totals["cost_four_cp_usd"], 2),
        "power_limit_violations": int(totals["power_limit_violations"]),
        "clipped_intervals": int(totals["clipped_intervals"]),
        "peak_site_mw": round(totals["peak_site_mw"], 3),
        "training_backlog_end_node_hours": round(totals["training_backlog_end_node_hours"], 3),
        **({"ai": ledger.ai_outcome} if ledger.ai_outcome is not None else {}),
    }
