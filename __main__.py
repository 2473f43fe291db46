"""The Pulumi program: load this stack's settings, declare the estate, export its outputs."""

import pulumi

from stacks.adoption import adopt_existing_resources
from stacks.program import build_estate
from stacks.settings import load_from_pulumi

settings = load_from_pulumi()
# Before anything is declared: resources listed in estate:imports are adopted, not created.
adoption = adopt_existing_resources(settings)
for name, value in build_estate(settings).items():
    pulumi.export(name, value)
adoption.check()  # names in estate:imports that adopted nothing are config errors
