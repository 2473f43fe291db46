"""Entry point of the ``estate-guardrails`` pack: ``pulumi preview --policy-pack policies``.

The CLI runs this file as a script from ``policies/``; the rules import each
other as ``policies.*`` (as the offline runner does), so the repository root
goes on the path first.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policies.pack import PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES  # noqa: E402

PolicyPack(name=PACK_NAME, enforcement_level=PACK_ENFORCEMENT_LEVEL, policies=POLICIES)
