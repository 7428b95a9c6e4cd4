"""The ``wattswitch`` console command."""
