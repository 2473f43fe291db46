"""The provider models at the mock boundary (estate/models): rules, their application, the plan's record of them."""

from __future__ import annotations

from typing import Any

import pytest

from estate.mocks import simulate
from estate.models import KINDS, Rule, TypeModel, build
from estate.models.cloudflare import ACCOUNT_TOKEN, HEALTHCHECK, NOTIFICATION_WEBHOOKS, PAGES_PROJECT
from estate.models.github import PULL_REQUEST
from estate.models.registry import all_rules, models
from estate.sdk_internals import SECRET_SIG, SIG_KEY
from tests.plan_queries import Plan


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def test_every_rule_has_a_kind_and_a_source() -> None:
    for rule in all_rules():
        assert rule.kind in KINDS and rule.source.strip(), f"{rule.type} {rule.kind} {rule.prop!r}"
    with pytest.raises(ValueError, match="needs a source"):
        Rule(PAGES_PROJECT, "computed", "subdomain", "x", " ")
    with pytest.raises(ValueError, match="two ID rules"):
        build([(Rule("t", "id", "", "a", "s"), Rule("t", "id", "", "b", "s"))])


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_plan_lists_exactly_the_registered_types_without_a_model(
    stack: str, prod_plan: Plan, staging_plan: Plan
) -> None:
    plan = prod_plan if stack == "prod" else staging_plan
    registered = {
        r["type"] for r in plan["resources"] if r["custom"] and not r["type"].startswith("pulumi:providers:")
    }
    assert set(plan["unmodelled_types"]) == registered - set(models()), (
        "unmodelled_types must list every type without rows"
    )


def test_a_default_applies_inside_a_given_object_and_never_creates_one() -> None:
    model = models()[HEALTHCHECK]
    given = simulate(model, "prod", "hc", {"type": "HTTPS", "httpConfig": {"path": "/"}})
    assert given.state["httpConfig"] == {"path": "/", "port": 80}, (
        "the provider's port default is 80 whatever the type"
    )
    assert given.stored_differently == (), "a default is not a diff: the input left the port out"
    absent = simulate(model, "prod", "hc", {"type": "HTTPS"})
    assert "httpConfig" not in absent.state


def test_a_secret_input_stays_secret_in_the_state() -> None:
    model = models()[HEALTHCHECK]
    answer = simulate(model, "prod", "hc", {"httpConfig": secret({"path": "/", "header": {"X": ["v"]}})})
    assert answer.state["httpConfig"] == secret({"path": "/", "header": {"X": ["v"]}, "port": 80})


def test_stored_normalisations_are_recorded_as_paths() -> None:
    token = simulate(
        models()[ACCOUNT_TOKEN],
        "prod",
        "t",
        {"policies": [{"resources": '{"a": "*"}'}, {"resources": '{"b":"*"}'}]},
    )
    assert token.state["policies"][0]["resources"] == '{"a":"*"}'
    assert token.stored_differently == ("policies[0].resources",)
    pr = simulate(
        models()[PULL_REQUEST],
        "prod",
        "pr",
        {"baseRepository": "r", "headRef": "feature", "maintainerCanModify": True},
    )
    assert pr.state["maintainerCanModify"] is False and pr.stored_differently == ("maintainerCanModify",)
    fork = simulate(
        models()[PULL_REQUEST],
        "prod",
        "pr",
        {"baseRepository": "r", "headRef": "someone:feature", "maintainerCanModify": True},
    )
    assert fork.stored_differently == ()
    slack = simulate(
        models()[NOTIFICATION_WEBHOOKS],
        "prod",
        "w",
        {"url": secret("https://hooks.slack.com/services/T1/B2/s3cr3t")},
    )
    assert slack.state["url"] == secret(
        "https://hooks.slack.com/services/T1/B2"
    ) and slack.stored_differently == ("url",)
    split = simulate(
        models()[NOTIFICATION_WEBHOOKS],
        "prod",
        "w",
        {"url": "https://hooks.slack.com/services/T1/B2", "secret": "s"},
    )
    assert split.stored_differently == ()


def test_an_unmodelled_type_echoes_its_inputs() -> None:
    answer = simulate(TypeModel("x:index/y:Y"), "prod", "n", {"a": 1})
    assert answer.state == {"a": 1} and answer.id.startswith("n-") and answer.changed == ()


def test_generated_values_differ_per_stack_and_resource() -> None:
    model = models()[PAGES_PROJECT]
    prod = simulate(model, "prod", "site", {"name": "docs"}).state["subdomain"]
    assert prod != simulate(model, "staging", "site", {"name": "docs"}).state["subdomain"]
    assert prod.startswith("docs-") and prod.endswith(".pages.dev"), "a taken name gets a suffix"
