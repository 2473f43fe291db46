"""The current and the previous value of a rotated secret, for receivers that accept both (see resources.py)."""

from .resources import Keyring, KeyringArgs, KeyringProvider, keyring_entries

__all__ = ["Keyring", "KeyringArgs", "KeyringProvider", "keyring_entries"]
