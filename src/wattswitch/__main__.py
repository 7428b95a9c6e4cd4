"""``python -m wattswitch``: the same command as the ``wattswitch`` console script."""

from wattswitch.cli.main import main

if __name__ == "__main__":
    main()
