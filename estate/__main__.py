"""`python -m estate <command>`: the operator's entry point."""

from estate.cli import main

raise SystemExit(main())
