"""Secrets stay secret: sensitive where they are stored, encrypted in the state, never in plain slots.

Judged per resource, by what both worlds see alike (see ``engine_view``):

- a Vercel variable whose *name* looks secret is ``sensitive``, and a
  sensitive one's value is a Pulumi secret; a ``NEXT_PUBLIC_`` variable, which
  Next.js compiles into the browser bundle, never has a secret name;
- a GitHub Actions *variable* (plain text, printed in logs) never has a secret
  name, and an Actions *secret*'s value is a Pulumi secret;
- no plain slot (non-sensitive Vercel variable, Actions variable, delivered
  repository file) holds a value shaped like a credential (``sk_live_…``,
  ``ghp_…``, a JWT, a URL with a password, …).

Names that look secret but are public by design (Shopify calls its public
client ID the "API key") are listed in the policy config ``publicVariables``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policies.credential_patterns import credential_shape, looks_secret_name
from policies.engine_view import UNKNOWN, field, flag, is_secret_prop, text, violation, visible_text
from policies.resource_types import (
    ACTIONS_SECRETS,
    ACTIONS_VARIABLES,
    DELIVERY_BRANCH,
    REPOSITORY_FILE,
    VERCEL_ENV_VAR,
)

DEFAULT_PUBLIC_VARIABLES: tuple[str, ...] = ("SHOPIFY_API_KEY",)
_NEXT_PUBLIC = "NEXT_PUBLIC_"
# Secret words that are fine in a browser: a Sentry DSN only lets clients submit events.
_BROWSER_SAFE_WORDS = frozenset({"dsn"})
_ROTATE = "rotate the credential: it has been stored in plaintext"


def validate_secrets_stay_secret(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Secret-looking names are sensitive, secret values are Pulumi secrets, plain slots hold no credential."""
    token, props = args.resource_type, args.props
    secret_outputs = list(args.opts.additional_secret_outputs or [])
    public_names = set(args.get_config().get("publicVariables", DEFAULT_PUBLIC_VARIABLES))

    def report(problem: str, fix: str) -> None:
        report_violation(violation(problem, fix), None)

    if token == VERCEL_ENV_VAR:
        key = text(props, "key") or "(unnamed)"
        sensitive = flag(props, "sensitive")
        if key.startswith(_NEXT_PUBLIC):
            # Public by construction; only a name that could never be public is a mistake here.
            if looks_secret_name(key, ignore=_BROWSER_SAFE_WORDS) and key not in public_names:
                report(
                    f"Vercel variable {key} looks like a secret, but Next.js compiles every NEXT_PUBLIC_ "
                    "variable into the JavaScript sent to browsers",
                    f"rename it without the {_NEXT_PUBLIC} prefix and read it on the server only",
                )
        elif looks_secret_name(key) and key not in public_names and sensitive in (False, None):
            report(
                f"Vercel variable {key} looks like a secret but is not sensitive: Vercel shows it to "
                "every team member and returns it from its API",
                "set sensitive=True (in the catalog: a Secret source, or a sensitive database output); "
                "if the value is public by design, add the name to the policy config publicVariables",
            )
        value = field(props, "value")
        if (
            sensitive is True
            and value not in (None, UNKNOWN)
            and not is_secret_prop(props, secret_outputs, "value")
        ):
            report(
                f"Vercel variable {key} is sensitive, but its value is not a Pulumi secret: it sits in "
                "plaintext in the state file and in every diff",
                "wrap the value with pulumi.Output.secret() (VercelApp does for sensitive variables)",
            )
        plain = visible_text(props, "value")
        if plain is not None and sensitive is not True and (shape := credential_shape(plain)):
            report(
                f"Vercel variable {key} holds what looks like a {shape.kind} ({shape.hint}) but is not "
                "sensitive",
                f"set sensitive=True and pass the value as a secret; {_ROTATE}",
            )

    elif token in ACTIONS_VARIABLES:
        name = text(props, "variableName") or "(unnamed)"
        if looks_secret_name(name) and name not in public_names:
            report(
                f"Actions variable {name} looks like a secret, but Actions variables are plain text: "
                "printed in workflow logs and readable by everyone with read access",
                "declare it as a github.ActionsEnvironmentSecret instead (RepositoryGovernance `secrets`)",
            )
        plain = visible_text(props, "value")
        if plain is not None and (shape := credential_shape(plain)):
            report(
                f"Actions variable {name} holds what looks like a {shape.kind} ({shape.hint})",
                f"move it to a github.ActionsEnvironmentSecret fed from a secret config key; {_ROTATE}",
            )

    elif token in ACTIONS_SECRETS:
        name = text(props, "secretName") or "(unnamed)"
        for prop in ("value", "plaintextValue"):
            value = field(props, prop)
            if value in (None, UNKNOWN) or is_secret_prop(props, secret_outputs, prop):
                continue
            report(
                f"Actions secret {name}: `{prop}` is not a Pulumi secret, so the value GitHub encrypts "
                "sits in plaintext in the Pulumi state and in every diff",
                "source it from a secret config key (`pulumi config set --secret`) or wrap it with "
                "pulumi.Output.secret()",
            )

    elif token == REPOSITORY_FILE:
        content = visible_text(props, "content")
        if content is not None and (shape := credential_shape(content)):
            path, repository = text(props, "file") or "?", text(props, "repository") or "?"
            report(
                f"file {path} delivered to {repository} contains what looks like a {shape.kind} ({shape.hint})",
                "reference it as ${{ secrets.NAME }} from a GitHub environment secret instead; " + _ROTATE,
            )

    elif token == DELIVERY_BRANCH:
        files = field(props, "files")
        for path in sorted(files) if isinstance(files, Mapping) else []:
            content = visible_text(props, "files", str(path))
            if content is not None and (shape := credential_shape(content)):
                repository = text(props, "repository") or "?"
                report(
                    f"file {path} delivered to {repository} contains what looks like a {shape.kind} ({shape.hint})",
                    "reference it as ${{ secrets.NAME }} from a GitHub environment secret instead; "
                    + _ROTATE,
                )
