"""Recorders and KPIs computed from simulation ledgers; filled by the engine issue."""
