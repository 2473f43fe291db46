"""`python -m estate <command>`: the operator's entry point."""

import gc


def _run() -> int:
    # A command is a short process. Cyclic collections would only walk the provider SDKs' hundreds of
    # thousands of long-lived objects again and again while they are imported (a third of importing
    # them); reference counting frees the rest. estate/engine.py pauses the collector for the same reason.
    gc.disable()
    from estate.cli import main

    return main()


raise SystemExit(_run())
