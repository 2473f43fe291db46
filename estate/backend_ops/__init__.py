"""Logic behind `python -m estate backend bootstrap`: the S3 bucket and KMS key of the Pulumi state backend.

Modules:

* ``inputs``: validation of the bucket name, region, key alias and retention (no AWS calls).
* ``aws``: boto3 clients, the bucket's region, and AWS failures explained (scrubbed of credentials).
* ``bootstrap``: inspect, report and (with ``fix``) create or tighten the bucket and key.

Every function takes boto3 clients, so tests drive them with moto and the command in
``estate/backend.py`` stays a thin layer.
"""
