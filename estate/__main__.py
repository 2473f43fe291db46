"""`python -m estate <command>`: the operator's entry point."""

import gc
import os


def _run() -> int:
    # A command is a short process. Cyclic collections would only walk the provider SDKs' hundreds of
    # thousands of long-lived objects again and again while they are imported (a third of importing
    # them); reference counting frees the rest. estate/engine.py pauses the collector for the same reason.
    gc.disable()
    from estate.cli import main

    return main()


def _exit(code: int) -> None:
    # The command is done and its files are closed: skip the interpreter's teardown, which frees every
    # object of the SDKs and the plan one by one (a tenth of `make plan`). Only stdout and stderr may
    # still hold output; an error flushing them (a closed pipe) takes the ordinary exit instead.
    from estate.output import flush

    try:
        flush()
    except OSError:
        raise SystemExit(code) from None
    os._exit(code)


_exit(_run())
