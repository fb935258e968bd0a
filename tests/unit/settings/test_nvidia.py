from __future__ import annotations

from tests.unit.settings.helpers import K8S, K8S_NVIDIA, fields


def nv(**kw: object) -> dict[str, object]:
    return {"kubelet-device-plugins": {"nvidia": kw}}


def test_valid_on_nvidia() -> None:
    doc = nv(
        **{
            "pass-device-specs": True,
            "device-id-strategy": "uuid",
            "device-list-strategy": ["envvar", "cdi-cri"],
            "device-sharing-strategy": "time-slicing",
            "time-slicing": {"replicas": 4, "rename-by-default": True},
            "device-partitioning-strategy": "mig",
            "mig": {"profile": {"a100.40gb": "1g.5gb", "h100.80gb": "7"}},
        }
    )
    assert fields(doc, K8S_NVIDIA) == []
    assert fields({"nvidia-container-runtime": {"visible-devices-as-volume-mounts": True}}, K8S_NVIDIA) == []


def test_only_on_nvidia_variants() -> None:
    assert fields(nv(**{"pass-device-specs": True}), K8S) == ["settings.kubelet-device-plugins"]
    assert fields(nv(**{"pass-device-specs": True}), "aws-ecs-2-nvidia") == ["settings.kubelet-device-plugins"]
    assert fields(nv(**{"pass-device-specs": True}), "aws-k8s-1.33-nvidia-fips") == []


def test_errors() -> None:
    doc = nv(
        **{
            "device-id-strategy": "serial",
            "time-slicing": {"replicas": 1},
            "mig": {"profile": {"A100": "1g.5gb", "a100.40gb": "5"}},
        }
    )
    assert fields(doc, K8S_NVIDIA) == [
        "settings.kubelet-device-plugins.nvidia.device-id-strategy",
        "settings.kubelet-device-plugins.nvidia.time-slicing.replicas",
        "settings.kubelet-device-plugins.nvidia.mig.profile.A100",
        'settings.kubelet-device-plugins.nvidia.mig.profile."a100.40gb"',
    ]
