"""pulumiverse-vercel 5.21.1, which bridges vercel/terraform-provider-vercel (``TF`` below)."""

from __future__ import annotations

from estate.models import COMPUTED, ID, REPLACES, Rule
from policies.resource_types import VERCEL_ALERT_RULE as ALERT_RULE
from policies.resource_types import VERCEL_ALERT_RULE_WEBHOOK_NOTIFICATION as ALERT_RULE_WEBHOOK_NOTIFICATION
from policies.resource_types import VERCEL_ENV_VAR as PROJECT_ENVIRONMENT_VARIABLE
from policies.resource_types import VERCEL_PROJECT as PROJECT
from policies.resource_types import VERCEL_PROJECT_DOMAIN as PROJECT_DOMAIN
from policies.resource_types import VERCEL_WEBHOOK as WEBHOOK

TF = "vercel/terraform-provider-vercel vercel"

SDK = "pulumiverse-vercel 5.21.1 (SDK docstrings: the import IDs)"

TABLE: tuple[Rule, ...] = (
    Rule(
        ALERT_RULE,
        ID,
        "",
        "ar_{uuid}",
        f"{SDK} alert_rule.py: `pulumi import ... ar_xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`",
    ),
    Rule(
        ALERT_RULE_WEBHOOK_NOTIFICATION,
        ID,
        "",
        "{inputs[alertRuleId]}/{inputs[webhookId]}",
        f"{SDK} alert_rule_webhook_notification.py: `pulumi import ... ar_…/hook_…`",
    ),
    Rule(PROJECT, ID, "", "prj_{hex28}", f"{TF}/resource_project.go:2154 (id: the API's project ID, prj_…)"),
    Rule(
        PROJECT_DOMAIN,
        ID,
        "",
        "{inputs[domain]}",
        f"{TF}/resource_project_domain.go:207 (ID: response.Name, the domain)",
    ),
    Rule(
        PROJECT_ENVIRONMENT_VARIABLE,
        ID,
        "",
        "{hex16}",
        f"{TF}/resource_project_environment_variable.go (id: the API's environment variable ID)",
    ),
    Rule(WEBHOOK, ID, "", "hook_{hex24}", f"{TF}/resource_webhook.go:185 (ID: out.ID)"),
    Rule(
        WEBHOOK,
        COMPUTED,
        "secret",
        "{hex24}",
        f"{TF}/resource_webhook.go (secret: computed; https://vercel.com/docs/webhooks: the signing secret is shown once, at creation)",
    ),
    # No input sets the secret (the SDK's WebhookArgs has none): rotating it is replacing the webhook.
    *(
        Rule(
            WEBHOOK,
            REPLACES,
            prop,
            None,
            f"{TF}/resource_webhook.go at v5.10.0 ({attr}: RequiresReplace; no Update path)",
        )
        for prop, attr in (
            ("endpoint", "endpoint"),
            ("events", "events"),
            ("projectIds", "project_ids"),
            ("teamId", "team_id"),
        )
    ),
)
