"""Frozen domain dataclasses with units in their names: sites, contracts, fleets, tenants, workloads."""
