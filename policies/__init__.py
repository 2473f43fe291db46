"""The estate's policy pack (``estate-guardrails``): rules judged on resources as the engine sees them.

``policies/pack.py`` lists the policies; ``policies/__main__.py`` serves them to
``pulumi preview --policy-pack policies``; ``estate/policy_runner.py`` runs the
same policy objects offline on a plan document. Importing this package never
starts the pack's server.
"""
