"""Pulumi providers written in this repository (pure-Python dynamic providers).

Each subpackage wraps one vendor API that the published Pulumi providers do not cover;
components under `components/` instantiate the resources it exports.
"""
