"""AWS Config custom policy (Guard, runtime ``guard-2.x.x``) rule texts, rendered from our data. Pure Python.

* :func:`ssm_access_policy`: "SSM access is restricted to designated IAM roles" — evaluates IAM configuration items
  (``AWS::IAM::Role``, ``AWS::IAM::User``, ``AWS::IAM::Group``, ``AWS::IAM::Policy``) and fails those that grant
  ``ssm:StartSession`` / ``ssm:SendCommand`` to a principal that is not one of the allowed operator roles.
* :func:`launch_template_policy`: launch templates require IMDSv2 (``HttpTokens: required``) and use an AMI of the
  approved set (the lockfile's, :func:`constructs_br.compliance.controls.approved_ami_ids`).

**What the IAM rule can see.** A Config configuration item (CI) for an IAM role carries ``roleName``, its inline
policies (``rolePolicyList[].policyDocument``) and its attached managed policies by name
(``attachedManagedPolicies[].policyName``); users and groups carry ``userPolicyList`` / ``groupPolicyList``; a
customer managed policy (``AWS::IAM::Policy``) carries its versions (``policyVersionList[].document``) and, as
relationships, the roles, users and groups it is attached to. Policy documents are **URL-encoded JSON strings**, and
Guard 2 cannot decode or parse them, so the rule matches the text with a regular expression
(:data:`SSM_GRANT_PATTERN`): an action ``ssm:StartSession`` / ``ssm:SendCommand`` or an ``ssm:`` glob that covers
one of them (``ssm:*``, ``ssm:S*``, ``ssm:Start*``…), in plain or URL-encoded form, case-insensitively. Consequences,
stated in docs/compliance.md: it does not read ``Effect`` (a ``Deny`` naming the action also flags), ``Resource`` or
``Condition`` (a grant limited to non-fleet instances flags too), it does not see ``"Action": "*"`` (the same text as
``"Resource": "*"``) nor ``NotAction`` nor ``?`` globs, and AWS managed policies are not recorded by Config: a
non-operator role with one of :data:`BROAD_AWS_MANAGED_POLICIES` attached is flagged by name instead. Resource
policies, SSO permission sets and SCPs are outside it. IAM types are global: Config records them only in a region
whose recorder includes global resource types.
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs_br.errors import ConfigError, Problems

GUARD_RUNTIME = "guard-2.x.x"
"""``CustomPolicyDetails.PolicyRuntime`` (the only runtime Config offers)."""

SSM_ACTIONS: tuple[str, ...] = ("StartSession", "SendCommand")

BROAD_AWS_MANAGED_POLICIES: tuple[str, ...] = (
    "AdministratorAccess",
    "PowerUserAccess",
    "AmazonSSMFullAccess",
    "AmazonSSMAutomationRole",
    "AmazonEC2RoleforSSM",
)
"""AWS managed policies that grant ``ssm:StartSession`` or ``ssm:SendCommand`` (Config does not record AWS managed
policies, so the rule can only flag them by name on a role's ``attachedManagedPolicies``)."""

MAX_POLICY_TEXT_CHARS = 10_000
"""Longest ``CustomPolicyDetails.PolicyText`` Config accepts."""

IAM_RESOURCE_TYPES: tuple[str, ...] = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Policy")
LAUNCH_TEMPLATE_RESOURCE_TYPES: tuple[str, ...] = ("AWS::EC2::LaunchTemplate",)


def operator_role_names(stage: str, *, prefix: str = "bottlerocket") -> tuple[str, str]:
    """The stage's operator role names as :class:`constructs_br.access.fleet.FleetAccess` names them.

    >>> operator_role_names("pilot")
    ('bottlerocket-control-pilot', 'bottlerocket-admin-pilot')
    """
    return (f"{prefix}-control-{stage}", f"{prefix}-admin-{stage}")


def _ssm_grant_pattern() -> str:
    q = '(?:"|%22)'  # the quote before the action, plain or URL-encoded
    colon = "(?::|%3A)"
    star = r"(?:\*|%2A)"
    prefixes = sorted({a[:i] for a in SSM_ACTIONS for i in range(len(a))}, key=lambda s: (len(s), s))
    globs = "|".join(prefixes[1:])  # '' handled by the bare star
    return f"(?i){q}ssm{colon}(?:{'|'.join(SSM_ACTIONS)}|(?:{globs})?{star})"


SSM_GRANT_PATTERN = _ssm_grant_pattern()
"""The regular expression (Rust ``regex`` syntax, as Guard uses) matched against policy document text (its
behaviour on sample documents is pinned in tests/unit/compliance/test_guard_rules.py)."""


def _guard_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _regex(pattern: str) -> str:
    return "/" + pattern.replace("/", r"\/") + "/"


def ssm_access_policy(*, operator_roles: Sequence[str]) -> str:
    """The Guard text of the SSM access rule; ``operator_roles``: the role names allowed to start sessions / send
    commands (e.g. ``bottlerocket-control-pilot``, ``bottlerocket-admin-pilot``)."""
    p = Problems()
    if not operator_roles:
        p.add("operator_roles", list(operator_roles), "at least one role name")
    for name in operator_roles:
        if not name or any(c in name for c in '"\\\n'):
            p.add("operator_roles", name, "an IAM role name")
    p.raise_if_any()
    roles = _guard_list(sorted(set(operator_roles)))
    grant = _regex(SSM_GRANT_PATTERN)
    broad = _guard_list(BROAD_AWS_MANAGED_POLICIES)
    return _fits(f"""# constructs-br: ssm:StartSession / ssm:SendCommand only for the designated operator roles.
# Allowed roles: {", ".join(sorted(set(operator_roles)))}
# Policy documents in IAM configuration items are URL-encoded text: matched by regular expression (docs/compliance.md).

rule ssm_role_inline_policies when resourceType == "AWS::IAM::Role" {{
    when configuration.roleName !IN {roles} {{
        when configuration.rolePolicyList exists
             configuration.rolePolicyList !empty {{
            configuration.rolePolicyList[*].policyDocument != {grant}
        }}
        when configuration.attachedManagedPolicies exists
             configuration.attachedManagedPolicies !empty {{
            configuration.attachedManagedPolicies[*].policyName !IN {broad}
        }}
    }}
}}

rule ssm_user_inline_policies when resourceType == "AWS::IAM::User" {{
    when configuration.userPolicyList exists
         configuration.userPolicyList !empty {{
        configuration.userPolicyList[*].policyDocument != {grant}
    }}
    when configuration.attachedManagedPolicies exists
         configuration.attachedManagedPolicies !empty {{
        configuration.attachedManagedPolicies[*].policyName !IN {broad}
    }}
}}

rule ssm_group_inline_policies when resourceType == "AWS::IAM::Group" {{
    when configuration.groupPolicyList exists
         configuration.groupPolicyList !empty {{
        configuration.groupPolicyList[*].policyDocument != {grant}
    }}
    when configuration.attachedManagedPolicies exists
         configuration.attachedManagedPolicies !empty {{
        configuration.attachedManagedPolicies[*].policyName !IN {broad}
    }}
}}

rule ssm_managed_policies when resourceType == "AWS::IAM::Policy" {{
    let granting = configuration.policyVersionList[ isDefaultVersion == true ]
    when %granting !empty
         %granting.document == {grant} {{
        let attached_roles = relationships[ resourceType == "AWS::IAM::Role" ]
        let attached_others = relationships[ resourceType IN ["AWS::IAM::User", "AWS::IAM::Group"] ]
        %attached_others empty
        when %attached_roles !empty {{
            %attached_roles.resourceName IN {roles}
        }}
    }}
}}
""")


def launch_template_policy(*, approved_ami_ids: Sequence[str]) -> str:
    """The Guard text of the launch-template rule: IMDSv2 required and an AMI of ``approved_ami_ids``.

    The AWS::EC2::LaunchTemplate configuration item's shape is accepted in both spellings seen in Config
    (CloudFormation-style ``LaunchTemplateData.ImageId`` and API-style ``launchTemplateData.imageId``)."""
    p = Problems()
    if not approved_ami_ids:
        p.add("approved_ami_ids", list(approved_ami_ids), "at least one AMI ID")
    for ami in approved_ami_ids:
        if not (ami.startswith("ami-") and ami[4:].isalnum()):
            p.add("approved_ami_ids", ami, "an AMI ID such as ami-0123456789abcdef0")
    p.raise_if_any()
    amis = _guard_list(list(dict.fromkeys(approved_ami_ids)))
    return _fits(f"""# constructs-br: fleet launch templates require IMDSv2 and an approved (lockfile-pinned) AMI.
# Approved AMIs: {", ".join(dict.fromkeys(approved_ami_ids))}

rule launch_template_imdsv2 when resourceType == "AWS::EC2::LaunchTemplate" {{
    configuration.LaunchTemplateData.MetadataOptions.HttpTokens == "required" or
    configuration.launchTemplateData.metadataOptions.httpTokens == "required"
}}

rule launch_template_approved_ami when resourceType == "AWS::EC2::LaunchTemplate" {{
    configuration.LaunchTemplateData.ImageId IN {amis} or
    configuration.launchTemplateData.imageId IN {amis}
}}
""")


def _fits(text: str) -> str:
    if len(text) > MAX_POLICY_TEXT_CHARS:
        raise ConfigError("policy_text", f"{len(text)} characters", f"at most {MAX_POLICY_TEXT_CHARS} characters")
    return text
