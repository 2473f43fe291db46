"""Entry point of the ``estate-guardrails`` pack: ``pulumi preview --policy-pack policies``.

The CLI runs this file as a script from the pack's directory, whatever that
directory is called (a published pack is unpacked elsewhere). The rules import
each other as ``policies.*``, as the offline runner does, so this directory is
registered as the ``policies`` package first.
"""

import importlib.util
import sys
from pathlib import Path

if "policies" not in sys.modules:
    _here = Path(__file__).resolve().parent
    _spec = importlib.util.spec_from_file_location(
        "policies", _here / "__init__.py", submodule_search_locations=[str(_here)]
    )
    assert _spec is not None and _spec.loader is not None
    sys.modules["policies"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["policies"])

from pulumi_policy import PolicyPack

from policies.pack import PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, enforcement_level=PACK_ENFORCEMENT_LEVEL, policies=POLICIES)
