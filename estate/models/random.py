"""pulumi-random 4.21.4, which bridges hashicorp/terraform-provider-random (``TF`` below)."""

from __future__ import annotations

from estate.models import COMPUTED, DEFAULT, ID, Rule
from policies.resource_types import RANDOM_PASSWORD

TF = "hashicorp/terraform-provider-random internal/provider/resource_password.go"


TABLE: tuple[Rule, ...] = (
    Rule(RANDOM_PASSWORD, ID, "", "none", f'{TF} (d.SetId("none"): the ID carries nothing)'),
    *(
        Rule(RANDOM_PASSWORD, DEFAULT, prop, value, f"{TF} (schema defaults)")
        for prop, value in (
            ("special", True),
            ("upper", True),
            ("lower", True),
            ("numeric", True),
            ("minLower", 0),
            ("minUpper", 0),
            ("minNumeric", 0),
            ("minSpecial", 0),
        )
    ),
    Rule(
        RANDOM_PASSWORD,
        COMPUTED,
        "result",
        "{password}",
        f"{TF} (result: computed, sensitive, of `length` characters)",
    ),
    Rule(RANDOM_PASSWORD, COMPUTED, "bcryptHash", "$2a$10${hex53}", f"{TF} (bcrypt_hash: computed)"),
)
