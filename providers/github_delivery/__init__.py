"""Workflow delivery to the app repositories: a branch per revision of the files (see resources.py)."""

from .resources import DeliveryBranch, DeliveryBranchArgs, content_digest, delivery_branch_name

__all__ = ["DeliveryBranch", "DeliveryBranchArgs", "content_digest", "delivery_branch_name"]
