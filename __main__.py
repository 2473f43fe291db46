"""The Pulumi program: load this stack's settings, declare the estate, export its outputs."""

import pulumi

from stacks.program import build_estate
from stacks.settings import load_from_pulumi

for name, value in build_estate(load_from_pulumi()).items():
    pulumi.export(name, value)
