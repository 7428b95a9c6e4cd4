"""Conversion planning: feasibility, capex, timeline, phasing, cash flows, plan and portfolio."""
