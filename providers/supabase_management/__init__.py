"""Supabase Management API dynamic resources: auth settings, PITR add-on, project API keys.

See docs/supabase.md for the token, its permissions, adoption of existing settings and what
deleting each resource does.
"""

from .resources import (
    SupabaseAuthSettings,
    SupabaseAuthSettingsArgs,
    SupabasePointInTimeRecovery,
    SupabasePointInTimeRecoveryArgs,
    SupabaseProjectApiKeys,
    SupabaseProjectApiKeysArgs,
)

__all__ = [
    "SupabaseAuthSettings",
    "SupabaseAuthSettingsArgs",
    "SupabasePointInTimeRecovery",
    "SupabasePointInTimeRecoveryArgs",
    "SupabaseProjectApiKeys",
    "SupabaseProjectApiKeysArgs",
]
