"""``NodeGroupSpec.settings`` takes a typed :class:`~constructs_br.settings.Settings` as well as a mapping (the table
under ``settings``); either renders into the launch template's user data, merged over the secure defaults."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from constructs_br.eks import BottlerocketNodeGroup, NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.settings import KernelSettings, KubernetesSettings, Settings, parse_document
from tests.unit.eks.helpers import br_cluster_stack, lockfile

TYPED = Settings(
    motd="platform nodes",
    kubernetes=KubernetesSettings(max_pods=58, node_labels={"team": "platform"}),
    kernel=KernelSettings(sysctl={"net.core.somaxconn": "4096"}),
)
MAPPING = {
    "motd": "platform nodes",
    "kubernetes": {"max-pods": 58, "node-labels": {"team": "platform"}},
    "kernel": {"sysctl": {"net.core.somaxconn": "4096"}},
}


def _user_data(settings: Any, *, image_path: str = "eks-managed", stage_settings: Any = None) -> tuple[str, str]:
    """(the node group's rendered TOML, the launch template's UserData as the template carries it)."""
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), settings=settings, image_path=image_path)
    group = BottlerocketNodeGroup(
        stack, "G", cluster=cluster, spec=spec, lockfile=lockfile(), fleet="g", stage_settings=stage_settings
    )
    (lt,) = Template.from_stack(stack).find_resources("AWS::EC2::LaunchTemplate").values()
    return group.user_data, str(lt["Properties"]["LaunchTemplateData"]["UserData"])


def test_spec_accepts_settings() -> None:
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), settings=TYPED)
    assert spec.settings is TYPED
    assert spec.settings_layer() is TYPED


@pytest.mark.parametrize("settings", [TYPED, MAPPING], ids=["Settings", "mapping"])
def test_settings_render_into_the_launch_template(settings: Any) -> None:
    text, template_user_data = _user_data(settings)
    doc = parse_document(text)["settings"]
    assert doc["kubernetes"]["max-pods"] == 58
    assert doc["kubernetes"]["node-labels"] == {"team": "platform"}
    assert doc["kernel"]["sysctl"]["net.core.somaxconn"] == "4096"
    assert doc["motd"] == "platform nodes"
    assert doc["kernel"]["lockdown"] == "integrity"  # still merged over the secure defaults
    assert doc["host-containers"]["admin"]["enabled"] is False
    assert "max-pods = 58" in template_user_data


def test_settings_and_mapping_render_byte_identically() -> None:
    """Switching a spec from a mapping to typed Settings is no launch-template change (no node roll)."""
    assert _user_data(TYPED) == _user_data(MAPPING)


def test_settings_on_the_custom_ami_path() -> None:
    text, _ = _user_data(TYPED, image_path="custom-ami")
    doc = parse_document(text)["settings"]["kubernetes"]
    assert doc["max-pods"] == 58
    assert doc["cluster-dns-ip"] == "172.20.0.10"


def test_typed_settings_layer_over_typed_stage_settings() -> None:
    stage = Settings(kubernetes=KubernetesSettings(max_pods=20, pod_pids_limit=1024))
    text, _ = _user_data(TYPED, stage_settings=stage)
    doc = parse_document(text)["settings"]["kubernetes"]
    assert doc["max-pods"] == 58  # the node group's layer wins
    assert doc["pod-pids-limit"] == 1024  # the stage's layer is kept


def test_typed_settings_may_not_set_keys_eks_injects() -> None:
    bad = Settings(kubernetes=KubernetesSettings(cluster_name="mine"))
    with pytest.raises(ConfigError) as exc:
        _user_data(bad)
    assert "settings.kubernetes.cluster-name" in exc.value.fields


def test_invalid_typed_settings_are_named() -> None:
    bad = Settings(kubernetes=KubernetesSettings(max_pods=-1))
    with pytest.raises(ConfigError) as exc:
        _user_data(bad)
    assert "settings.kubernetes.max-pods" in exc.value.fields


def test_typed_updates_settings_are_checked_against_the_pin() -> None:
    from constructs_br.settings import UpdatesSettings

    text, _ = _user_data(Settings(updates=UpdatesSettings(version_lock="v1.50.0")))
    assert parse_document(text)["settings"]["updates"] == {"version-lock": "v1.50.0", "ignore-waves": False}
    with pytest.raises(ConfigError) as exc:
        _user_data(Settings(updates=UpdatesSettings(version_lock="v1.51.0")))
    assert exc.value.fields == ("nodegroup.settings.updates.version-lock",)
    with pytest.raises(ConfigError) as exc:
        _user_data(None, stage_settings=Settings(updates=UpdatesSettings(ignore_waves=True)))
    assert exc.value.fields == ("stage_settings.updates.ignore-waves",)
