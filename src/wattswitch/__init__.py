"""wattswitch: where a power-first data center's megawatts go — AI compute, Bitcoin mining or the grid."""

__version__ = "0.1.0"
