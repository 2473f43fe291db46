"""Supabase Management API dynamic resources: the project, auth settings, PITR add-on, API keys.

See docs/supabase.md for the token, its permissions, adoption of existing settings and what
deleting each resource does.
"""

from .project import (
    INSTANCE_SIZES,
    PITR_MINIMUM_INSTANCE_SIZES,
    PROJECT_REGIONS,
    SupabaseProject,
    SupabaseProjectArgs,
)
from .resources import (
    SupabaseAuthSettings,
    SupabaseAuthSettingsArgs,
    SupabasePointInTimeRecovery,
    SupabasePointInTimeRecoveryArgs,
    SupabaseProjectApiKeys,
    SupabaseProjectApiKeysArgs,
)

__all__ = [
    "INSTANCE_SIZES",
    "PITR_MINIMUM_INSTANCE_SIZES",
    "PROJECT_REGIONS",
    "SupabaseAuthSettings",
    "SupabaseAuthSettingsArgs",
    "SupabasePointInTimeRecovery",
    "SupabasePointInTimeRecoveryArgs",
    "SupabaseProject",
    "SupabaseProjectApiKeys",
    "SupabaseProjectApiKeysArgs",
    "SupabaseProjectArgs",
]
