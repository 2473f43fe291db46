"""The production Supabase project survives any Pulumi mistake: protected and retained on delete.

Deleting a Supabase project deletes its backups too, so in production
``protect`` (Pulumi refuses to delete it) and ``retain_on_delete`` (if it
leaves the program anyway, it keeps running, merely forgotten by the stack)
are both required. Staging stacks may drop their databases.

The analyzer protocol that ``pulumi preview --policy-pack`` speaks carries
``protect`` but not ``retainOnDelete`` (pulumi_policy's
``PolicyResourceOptions`` has no such field), so online only ``protect`` can be
judged; the offline runner passes the plan's ``retain_on_delete`` as an extra
attribute of the options, and the rule judges it whenever it is there.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policies.engine_view import stack_of, text, violation
from policies.environments import PRODUCTION, environment_of
from policies.resource_types import SUPABASE_PROJECT


def validate_production_database_retained(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    """A production ``supabase:index:Project`` is protected and retained on delete."""
    if args.resource_type != SUPABASE_PROJECT:
        return
    if environment_of(stack_of(args.urn), args.get_config()) != PRODUCTION:
        return
    project = text(args.props, "name") or args.name
    if not args.opts.protect:
        report_violation(
            violation(
                f"the production Supabase project {project} is not protected: a `pulumi destroy` or its removal "
                "from the program would delete the database and all its backups",
                "register it with protect=True (SupabaseDatabaseArgs.deletion_protection=True)",
            ),
            None,
        )
    # Offline only: the analyzer protocol does not carry retainOnDelete (see the module docstring).
    if getattr(args.opts, "retain_on_delete", None) is False:
        report_violation(
            violation(
                f"the production Supabase project {project} is not retained on delete: once it leaves the "
                "stack (a refactor, a rename without an alias), Pulumi deletes it",
                "register it with retain_on_delete=True (SupabaseDatabaseArgs.deletion_protection=True)",
            ),
            None,
        )
