"""Logic behind `python -m estate backend`: bootstrap and recover the S3 + KMS Pulumi state backend.

Modules:

* ``inputs``: validation of bucket names, regions, aliases, stack names (no AWS calls).
* ``layout``: where Pulumi's self-managed backend keeps things, and the URLs to log in with.
* ``aws``: boto3 clients and the bucket/region checks shared by every action.
* ``bootstrap``: inspect, report and (with ``fix``) create or tighten the bucket and key.
* ``recovery``: list a stack's state versions and restore one, keeping a copy of the current.

Every function takes boto3 clients, so tests drive them with moto and the CLI in
``estate/backend.py`` stays a thin layer.
"""
