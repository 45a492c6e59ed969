"""``python -m warehouse.cli``: the ``kasuwa`` command."""

from . import main

if __name__ == "__main__":  # imported (not run) by tools that walk the package: nothing happens
    raise SystemExit(main())
