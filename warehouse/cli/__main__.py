"""``python -m warehouse.cli``: the ``kasuwa`` command."""

from . import main

raise SystemExit(main())
