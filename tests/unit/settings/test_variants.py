"""Settings use the image catalogue's variants: one grammar, one list of Kubernetes minors, one retired list."""

from __future__ import annotations

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images import ALL_VARIANTS, KUBERNETES_MINORS, get_variant
from constructs_br.settings import Variant, parse_variant, secure_defaults, validate
from constructs_br.settings.variants import glob_name, matches, supports_lockdown_integrity


def test_settings_variant_is_the_catalogue_variant() -> None:
    assert Variant is type(get_variant("aws-k8s-1.33"))
    assert parse_variant("aws-k8s-1.33-nvidia") is get_variant("aws-k8s-1.33-nvidia")


@pytest.mark.parametrize("name", ["aws-k8s-1.28", "aws-k8s-1.23-nvidia"])
def test_kubernetes_minor_outside_the_catalogue_is_rejected(name: str) -> None:
    with pytest.raises(ConfigError, match="KUBERNETES_MINORS") as exc:
        validate({}, variant=name)
    assert exc.value.fields == ("variant",)
    assert name.split("-")[2] not in KUBERNETES_MINORS


@pytest.mark.parametrize("name", ["aws-ecs-1", "aws-ecs-1-nvidia"])
def test_retired_variant_gives_the_catalogue_message(name: str) -> None:
    with pytest.raises(ConfigError, match="aws-ecs-1 is retired"):
        secure_defaults(name)


@pytest.mark.parametrize("variant", ALL_VARIANTS, ids=lambda v: v.name)
def test_every_catalogue_variant_is_usable_by_settings(variant: Variant) -> None:
    assert validate(secure_defaults(variant.name), variant=variant.name) == []
    assert matches(variant, ["aws-k8s-*"] if variant.family == "k8s" else ["aws-ecs-2*"])
    assert not glob_name(variant).endswith("-fips")
    assert supports_lockdown_integrity(variant) is not variant.nvidia
