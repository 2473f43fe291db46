"""What a secret looks like: by its name and by its value.

Shared by the policy pack (names of environment variables and Actions
secrets, values the engine hands over) and by the stack-file hygiene check
(config keys and values in ``Pulumi.<stack>.yaml``). Only shapes are matched;
nothing here ever returns or prints the value itself.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Words that make a name secret on their own.
_SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "token",
        "tokens",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "dsn",
        "webhook",
        "webhooks",
        "credential",
        "credentials",
        "passphrase",
        "privatekey",
    }
)
# "key" makes a name secret unless a word says it is the public half or an identifier.
_KEY_WORDS = frozenset({"key", "keys", "apikey", "accesskey"})
_PUBLIC_HINTS = frozenset({"publishable", "public", "id", "ids", "sid", "name", "names"})
# Connection strings carry their password inside.
_SECRET_PHRASES = (("database", "url"), ("connection", "string"), ("service", "role"))

_WORD_BOUNDARY = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def name_words(name: str) -> list[str]:
    """``talklineStripeSecretKey`` / ``STRIPE_SECRET_KEY`` / ``a.b-c`` → lower-case words."""
    return [word.lower() for word in _WORD_BOUNDARY.split(name) if word]


def looks_secret_name(name: str, *, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether a config key or variable name suggests its value is a secret.

    ``STRIPE_SECRET_KEY``, ``githubToken``, ``SUPABASE_DB_PASSWORD``,
    ``DATABASE_URL`` and ``omsShopifyApiKey`` do; ``talklineStripePublishableKey``,
    ``AWS_ACCESS_KEY_ID`` and ``TWILIO_ACCOUNT_SID`` do not. ``ignore``: secret
    words that do not count in the caller's context. Names that look secret but
    are public by design are allow-listed by the caller, never here.
    """
    words = name_words(name)
    if any(word in _SECRET_WORDS and word not in ignore for word in words):
        return True
    if any(all(part in words for part in phrase) for phrase in _SECRET_PHRASES):
        return True
    return any(word in _KEY_WORDS for word in words) and not any(word in _PUBLIC_HINTS for word in words)


@dataclass(frozen=True)
class CredentialShape:
    """A recognisable kind of credential: its description and a safe-to-print hint."""

    kind: str
    hint: str
    pattern: re.Pattern[str]


CREDENTIAL_SHAPES: tuple[CredentialShape, ...] = (
    CredentialShape("Stripe live secret key", "sk_live_…", re.compile(r"\bsk_live_[0-9A-Za-z]{8,}")),
    CredentialShape("Stripe live restricted key", "rk_live_…", re.compile(r"\brk_live_[0-9A-Za-z]{8,}")),
    CredentialShape(
        "Stripe test secret key", "sk_test_…/rk_test_…", re.compile(r"\b[sr]k_test_[0-9A-Za-z]{8,}")
    ),
    CredentialShape("webhook signing secret", "whsec_…", re.compile(r"\bwhsec_[0-9A-Za-z+/=]{8,}")),
    CredentialShape("GitHub token", "ghp_…", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{20,}")),
    CredentialShape(
        "GitHub fine-grained token", "github_pat_…", re.compile(r"\bgithub_pat_[0-9A-Za-z_]{20,}")
    ),
    CredentialShape("Slack token", "xox?-…", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    CredentialShape("AWS access key ID", "AKIA…", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    CredentialShape(
        "private key", "-----BEGIN … PRIVATE KEY-----", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
    ),
    CredentialShape(
        "JSON Web Token (e.g. a Supabase service-role key)",
        "eyJ….eyJ….…",
        re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}"),
    ),
    CredentialShape("Supabase access token", "sbp_…", re.compile(r"\bsbp_[0-9a-f]{40}\b")),
    CredentialShape("Supabase secret API key", "sb_secret_…", re.compile(r"\bsb_secret_[0-9A-Za-z_-]{16,}")),
    CredentialShape(
        "API key of an LLM provider", "sk-…", re.compile(r"\bsk-(?:ant-|proj-)?[0-9A-Za-z_-]{20,}")
    ),
    # Webhook URLs are credentials: whoever holds one can post to the channel.
    CredentialShape(
        "Slack webhook URL",
        "https://hooks.slack.com/…",
        re.compile(r"https?://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/\S+"),
    ),
    CredentialShape(
        "Discord webhook URL",
        "https://discord.com/api/webhooks/…",
        re.compile(r"https?://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/\S+"),
    ),
    CredentialShape(
        "URL carrying a token",
        "https://…?token=…",
        re.compile(
            r"https?://\S+[?&#](?:token|access_token|api_key|apikey|key|secret|sig|signature|code"
            r"|auth|password)=[^&\s]{6,}",
            re.IGNORECASE,
        ),
    ),
    CredentialShape(
        "URL with a password", "https://user:…@host", re.compile(r"https?://[^:/@\s]+:[^@/\s]+@")
    ),
    CredentialShape(
        "connection URL with a password",
        "scheme://user:…@host",
        re.compile(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|rediss?|amqps?)://[^:/@\s]+:[^@\s]+@"),
    ),
)


@functools.lru_cache(maxsize=4096)
def credential_shape(value: str) -> CredentialShape | None:
    """The first credential shape ``value`` contains, or None (cached: the same files and values recur)."""
    for shape in CREDENTIAL_SHAPES:
        if shape.pattern.search(value):
            return shape
    return None


# Stripe keys by mode: which environment may hold them.
STRIPE_KEY = re.compile(r"\b(?P<kind>sk|rk|pk)_(?P<mode>live|test)_[0-9A-Za-z]{8,}")
