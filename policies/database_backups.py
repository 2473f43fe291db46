"""Point-in-time recovery that Supabase accepts: the project has at least the Small compute size.

Supabase's backup docs: projects that use point-in-time recovery must also use at least a Small
compute add-on; the Management API refuses the PITR add-on otherwise (HTTP 400), so a plan
that declares PITR on a smaller project fails half-way through `pulumi up`. The PITR resource
depends on its project (SupabaseDatabase registers it so), which is how the rule finds it even
while the project's ref is unknown.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ReportViolation, StackValidationArgs

from policies.engine_view import text, violation
from policies.resource_types import SUPABASE_PITR, SUPABASE_PROJECT

# Compute sizes below Small (V1CreateProjectBody.desired_instance_size).
TOO_SMALL_FOR_PITR: Final = frozenset({"nano", "micro"})


def validate_pitr_has_small_compute(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every PITR add-on belongs to a project of the Small compute size or larger."""
    for resource in args.resources:
        if resource.resource_type != SUPABASE_PITR:
            continue
        projects = [d for d in resource.dependencies if d.resource_type == SUPABASE_PROJECT]
        if not projects:
            report_violation(
                violation(
                    f"the point-in-time-recovery add-on {resource.name} depends on no Supabase project, so "
                    "nothing shows that its project has the compute size PITR needs",
                    "register it with depends_on=[the project] (SupabaseDatabase does)",
                ),
                resource.urn,
            )
        for project in projects:
            size = text(project.props, "instance_size")
            if size is None or size in TOO_SMALL_FOR_PITR:
                name = text(project.props, "name") or project.name
                report_violation(
                    violation(
                        f"point-in-time recovery is declared for the Supabase project {name}, whose compute size "
                        f"is {size or 'not set'}: Supabase refuses PITR below the Small compute size",
                        "pulumi config set --path 'estate:supabase.computeSize' small",
                    ),
                    resource.urn,
                )
