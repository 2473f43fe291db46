"""Reusable Pulumi components of the estate.

Each component is one file, takes typed args, receives its providers through
``opts`` (``providers=[...]``) and knows nothing of stacks, settings or tooling.
"""
