"""Live adapters (miners, Slurm, price feeds) behind protocols declared in the core; live-control issue."""
