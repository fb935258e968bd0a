"""Typed model of the Bottlerocket settings that matter on EKS and ECS nodes.

One frozen dataclass per namespace; field names are the kebab-case TOML keys in snake_case
(``cluster-name`` -> ``cluster_name``). Every field defaults to ``None`` = "not set, keep Bottlerocket's default".
Each class has an ``extra`` mapping (kebab-case keys) for keys the model does not type; it may not repeat a typed key.

:func:`to_dict` gives the kebab-case document; :func:`from_dict` builds the model from one. ``from_dict`` is
lossless and does not validate: unknown keys land in ``extra`` and wrongly typed values are kept as they are, so
:func:`constructs_br.settings.validate` can report them with their dotted paths.

>>> s = Settings(kubernetes=KubernetesSettings(max_pods=110, node_labels={"node.kubernetes.io/role": "web"}))
>>> to_dict(s)
{'settings': {'kubernetes': {'node-labels': {'node.kubernetes.io/role': 'web'}, 'max-pods': 110}}}
>>> from_dict(to_dict(s)) == s
True
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar, TypeVar, Union

from constructs_br.errors import ConfigError, Problems

_EMPTY: Mapping[str, Any] = {}


def _key(name: str) -> str:
    return name.replace("_", "-")


class _Base:
    """Shared behaviour: reject ``extra`` keys that collide with typed fields."""

    _path: ClassVar[str] = "settings"
    __slots__ = ()

    def __post_init__(self) -> None:
        extra: Mapping[str, Any] = getattr(self, "extra", _EMPTY)
        typed = {_key(f.name) for f in dataclasses.fields(self) if f.name != "extra"}  # type: ignore[arg-type]
        problems = Problems()
        for key in extra:
            if key in typed or _key(key) in typed:
                problems.add(
                    f"{self._path}.extra.{key}",
                    extra[key],
                    f"a key the typed model does not have (use the field {key.replace('-', '_')!r} instead)",
                    "the escape hatch must not collide with typed fields",
                )
        problems.raise_if_any()


# ---------------------------------------------------------------------------------------------------------------------
# kubernetes (aws-k8s-* only)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CredentialProvider(_Base):
    """``settings.kubernetes.credential-providers.<name>``; ``enabled`` and ``image_patterns`` are required."""

    _path: ClassVar[str] = "settings.kubernetes.credential-providers.*"
    enabled: bool | None = None
    image_patterns: tuple[str, ...] | None = None
    cache_duration: str | None = None
    environment: Mapping[str, str] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class StaticPod(_Base):
    """``settings.kubernetes.static-pods.<name>``: ``manifest`` is a base64 pod manifest."""

    _path: ClassVar[str] = "settings.kubernetes.static-pods.*"
    enabled: bool | None = None
    manifest: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class KubernetesSettings(_Base):
    """``settings.kubernetes`` (kubelet and cluster join). Taint values use Bottlerocket's ``value:Effect`` form."""

    _path: ClassVar[str] = "settings.kubernetes"
    cluster_name: str | None = None
    api_server: str | None = None
    cluster_certificate: str | None = None
    cluster_dns_ip: str | tuple[str, ...] | None = None
    cluster_domain: str | None = None
    node_labels: Mapping[str, str] | None = None
    node_taints: Mapping[str, str | tuple[str, ...]] | None = None
    max_pods: int | None = None
    kube_reserved: Mapping[str, str] | None = None
    system_reserved: Mapping[str, str] | None = None
    eviction_hard: Mapping[str, str] | None = None
    eviction_soft: Mapping[str, str] | None = None
    eviction_soft_grace_period: Mapping[str, str] | None = None
    eviction_max_pod_grace_period: int | None = None
    cpu_manager_policy: str | None = None
    cpu_manager_policy_options: tuple[str, ...] | None = None
    cpu_manager_reconcile_period: str | None = None
    topology_manager_policy: str | None = None
    topology_manager_scope: str | None = None
    memory_manager_policy: str | None = None
    memory_manager_reserved_memory: Mapping[str, Mapping[str, Any]] | None = None
    reserved_cpus: str | None = None
    image_gc_high_threshold_percent: int | str | None = None
    image_gc_low_threshold_percent: int | str | None = None
    image_minimum_gc_age: str | None = None
    image_maximum_gc_age: str | None = None
    pod_pids_limit: int | None = None
    provider_id: str | None = None
    hostname_override_source: str | None = None
    hostname_override: str | None = None
    credential_providers: Mapping[str, CredentialProvider] | None = None
    authentication_mode: str | None = None
    bootstrap_token: str | None = None
    standalone_mode: bool | None = None
    static_pods: Mapping[str, StaticPod] | None = None
    static_pods_enabled: bool | None = None
    cloud_provider: str | None = None
    server_tls_bootstrap: bool | None = None
    server_certificate: str | None = None
    server_key: str | None = None
    registry_qps: int | None = None
    registry_burst: int | None = None
    event_qps: int | None = None
    event_burst: int | None = None
    kube_api_qps: int | None = None
    kube_api_burst: int | None = None
    container_log_max_size: str | None = None
    container_log_max_files: int | None = None
    container_log_max_workers: int | None = None
    container_log_monitor_interval: str | None = None
    cpu_cfs_quota_enforced: bool | None = None
    allowed_unsafe_sysctls: tuple[str, ...] | None = None
    shutdown_grace_period: str | None = None
    shutdown_grace_period_for_critical_pods: str | None = None
    log_level: int | None = None
    seccomp_default: bool | None = None
    device_ownership_from_security_context: bool | None = None
    single_process_oom_kill: bool | None = None
    memory_swap_behavior: str | None = None
    max_parallel_image_pulls: int | None = None
    ids_per_pod: int | None = None
    node_ip: str | None = None
    pod_infra_container_image: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# ecs (aws-ecs-* only)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class EcsSettings(_Base):
    """``settings.ecs`` (ECS agent). ``loglevel`` is one of debug/info/warn/error/crit."""

    _path: ClassVar[str] = "settings.ecs"
    cluster: str | None = None
    instance_attributes: Mapping[str, str] | None = None
    allow_privileged_containers: bool | None = None
    enable_spot_instance_draining: bool | None = None
    image_pull_behavior: str | None = None
    logging_drivers: tuple[str, ...] | None = None
    loglevel: str | None = None
    container_stop_timeout: str | None = None
    task_cleanup_wait: str | None = None
    image_cleanup_enabled: bool | None = None
    image_cleanup_wait: str | None = None
    image_cleanup_age: str | None = None
    image_cleanup_delete_per_cycle: int | None = None
    metadata_service_rps: int | None = None
    metadata_service_burst: int | None = None
    reserved_memory: int | None = None
    awsvpc_block_imds: bool | None = None
    enable_container_metadata: bool | None = None
    backend_host: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# containers and commands (all variants)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class HostContainer(_Base):
    """``settings.host-containers.<name>`` (``admin``, ``control`` or custom)."""

    _path: ClassVar[str] = "settings.host-containers.*"
    source: str | None = None
    enabled: bool | None = None
    superpowered: bool | None = None
    user_data: str | None = None
    command: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class BootstrapContainer(_Base):
    """``settings.bootstrap-containers.<name>``; ``mode`` is off/once/always, ``user_data`` base64."""

    _path: ClassVar[str] = "settings.bootstrap-containers.*"
    source: str | None = None
    mode: str | None = None
    user_data: str | None = None
    essential: bool | None = None
    command: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class BootstrapCommand(_Base):
    """``settings.bootstrap-commands.<name>`` (Bottlerocket 1.22+); each command must start with ``apiclient``."""

    _path: ClassVar[str] = "settings.bootstrap-commands.*"
    commands: tuple[tuple[str, ...], ...] | None = None
    mode: str | None = None
    essential: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# kernel, boot


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class KernelModule(_Base):
    """``settings.kernel.modules.<name>``: ``allowed = false`` blocks loading; ``autoload`` loads it at boot."""

    _path: ClassVar[str] = "settings.kernel.modules.*"
    allowed: bool | None = None
    autoload: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class KernelSettings(_Base):
    """``settings.kernel``. sysctl values are strings even for numbers (``"0"``)."""

    _path: ClassVar[str] = "settings.kernel"
    lockdown: str | None = None
    sysctl: Mapping[str, str] | None = None
    modules: Mapping[str, KernelModule] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class BootSettings(_Base):
    """``settings.boot`` (aws-k8s-*, aws-ecs-2+): kernel and init command-line parameters."""

    _path: ClassVar[str] = "settings.boot"
    reboot_to_reconcile: bool | None = None
    kernel_parameters: Mapping[str, tuple[str, ...]] | None = None
    init_parameters: Mapping[str, tuple[str, ...]] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# network, dns, ntp


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NtpSettings(_Base):
    """``settings.ntp``."""

    _path: ClassVar[str] = "settings.ntp"
    time_servers: tuple[str, ...] | None = None
    options: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NetworkSettings(_Base):
    """``settings.network``: proxies, hostname and ``/etc/hosts`` entries ``(ip, (hostname, ...))``."""

    _path: ClassVar[str] = "settings.network"
    hostname: str | None = None
    hosts: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    https_proxy: str | None = None
    no_proxy: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DnsSettings(_Base):
    """``settings.dns``."""

    _path: ClassVar[str] = "settings.dns"
    name_servers: tuple[str, ...] | None = None
    search_list: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# container registry and runtime


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class RegistryMirror(_Base):
    """One ``[[settings.container-registry.mirrors]]`` entry."""

    _path: ClassVar[str] = "settings.container-registry.mirrors[]"
    registry: str | None = None
    endpoint: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class RegistryCredential(_Base):
    """One ``[[settings.container-registry.credentials]]`` entry; ``auth`` is base64 of ``user:password``."""

    _path: ClassVar[str] = "settings.container-registry.credentials[]"
    registry: str | None = None
    username: str | None = None
    password: str | None = None
    auth: str | None = None
    identitytoken: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ContainerRegistrySettings(_Base):
    """``settings.container-registry``: mirrors and credentials are arrays of tables."""

    _path: ClassVar[str] = "settings.container-registry"
    mirrors: tuple[RegistryMirror, ...] | None = None
    credentials: tuple[RegistryCredential, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ContainerRuntimeSettings(_Base):
    """``settings.container-runtime`` (containerd, aws-k8s-* only)."""

    _path: ClassVar[str] = "settings.container-runtime"
    max_container_log_line_size: int | None = None
    max_concurrent_downloads: int | None = None
    enable_unprivileged_ports: bool | None = None
    enable_unprivileged_icmp: bool | None = None
    snapshotter: str | None = None
    concurrent_download_chunk_size: int | str | None = None
    max_concurrent_unpacks: int | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# updates, aws, metrics, cloudformation, autoscaling, pki, oci


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class UpdatesSettings(_Base):
    """``settings.updates``; ``version_lock`` is ``latest`` or a semantic version."""

    _path: ClassVar[str] = "settings.updates"
    metadata_base_url: str | None = None
    targets_base_url: str | None = None
    seed: int | None = None
    version_lock: str | None = None
    ignore_waves: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AwsSettings(_Base):
    """``settings.aws``; ``config`` and ``credentials`` are base64 file contents."""

    _path: ClassVar[str] = "settings.aws"
    region: str | None = None
    config: str | None = None
    credentials: str | None = None
    profile: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class MetricsSettings(_Base):
    """``settings.metrics``."""

    _path: ClassVar[str] = "settings.metrics"
    metrics_url: str | None = None
    send_metrics: bool | None = None
    service_checks: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CloudFormationSettings(_Base):
    """``settings.cloudformation``: with ``should_signal`` both names are needed."""

    _path: ClassVar[str] = "settings.cloudformation"
    should_signal: bool | None = None
    stack_name: str | None = None
    logical_resource_id: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AutoscalingSettings(_Base):
    """``settings.autoscaling``."""

    _path: ClassVar[str] = "settings.autoscaling"
    should_wait: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PkiBundle(_Base):
    """``settings.pki.<name>``: ``data`` is base64 of a PEM bundle."""

    _path: ClassVar[str] = "settings.pki.*"
    data: str | None = None
    trusted: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ResourceLimit(_Base):
    """``settings.oci-defaults.resource-limits.<rlimit>``: both limits are required (integer or ``"unlimited"``)."""

    _path: ClassVar[str] = "settings.oci-defaults.resource-limits.*"
    hard_limit: int | str | None = None
    soft_limit: int | str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class OciDefaultsSettings(_Base):
    """``settings.oci-defaults``."""

    _path: ClassVar[str] = "settings.oci-defaults"
    capabilities: Mapping[str, bool] | None = None
    resource_limits: Mapping[str, ResourceLimit] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# NVIDIA (aws-k8s-*-nvidia only)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NvidiaTimeSlicing(_Base):
    """``settings.kubelet-device-plugins.nvidia.time-slicing``; ``replicas`` >= 2."""

    _path: ClassVar[str] = "settings.kubelet-device-plugins.nvidia.time-slicing"
    replicas: int | None = None
    rename_by_default: bool | None = None
    fail_requests_greater_than_one: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NvidiaMig(_Base):
    """``settings.kubelet-device-plugins.nvidia.mig``: ``profile`` maps GPU model (``a100.40gb``) to a profile."""

    _path: ClassVar[str] = "settings.kubelet-device-plugins.nvidia.mig"
    profile: Mapping[str, str] | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NvidiaDevicePlugin(_Base):
    """``settings.kubelet-device-plugins.nvidia``."""

    _path: ClassVar[str] = "settings.kubelet-device-plugins.nvidia"
    pass_device_specs: bool | None = None
    device_id_strategy: str | None = None
    device_list_strategy: str | tuple[str, ...] | None = None
    device_sharing_strategy: str | None = None
    time_slicing: NvidiaTimeSlicing | None = None
    device_partitioning_strategy: str | None = None
    mig: NvidiaMig | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class KubeletDevicePlugins(_Base):
    """``settings.kubelet-device-plugins``."""

    _path: ClassVar[str] = "settings.kubelet-device-plugins"
    nvidia: NvidiaDevicePlugin | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NvidiaContainerRuntime(_Base):
    """``settings.nvidia-container-runtime``."""

    _path: ClassVar[str] = "settings.nvidia-container-runtime"
    visible_devices_as_volume_mounts: bool | None = None
    visible_devices_envvar_when_unprivileged: bool | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# root


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Settings(_Base):
    """The ``[settings]`` table. ``extra`` holds top-level namespaces the model does not type (kebab-case keys)."""

    _path: ClassVar[str] = "settings"
    motd: str | None = None
    kubernetes: KubernetesSettings | None = None
    ecs: EcsSettings | None = None
    host_containers: Mapping[str, HostContainer] | None = None
    bootstrap_containers: Mapping[str, BootstrapContainer] | None = None
    bootstrap_commands: Mapping[str, BootstrapCommand] | None = None
    kernel: KernelSettings | None = None
    boot: BootSettings | None = None
    ntp: NtpSettings | None = None
    network: NetworkSettings | None = None
    dns: DnsSettings | None = None
    container_registry: ContainerRegistrySettings | None = None
    container_runtime: ContainerRuntimeSettings | None = None
    updates: UpdatesSettings | None = None
    aws: AwsSettings | None = None
    metrics: MetricsSettings | None = None
    cloudformation: CloudFormationSettings | None = None
    autoscaling: AutoscalingSettings | None = None
    oci_defaults: OciDefaultsSettings | None = None
    pki: Mapping[str, PkiBundle] | None = None
    kubelet_device_plugins: KubeletDevicePlugins | None = None
    nvidia_container_runtime: NvidiaContainerRuntime | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# conversion

T = TypeVar("T")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _field_by_key(cls: type) -> dict[str, str]:
    return {_key(f.name): f.name for f in dataclasses.fields(cls) if f.name != "extra"}


def _plain(value: Any) -> Any:
    """Model value -> plain TOML-able value (dataclass -> dict, tuple -> list); ``None`` entries are dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name == "extra":
                continue
            v = getattr(value, f.name)
            if v is not None:
                out[_key(f.name)] = _plain(v)
        for k, v in getattr(value, "extra", _EMPTY).items():
            if v is not None:
                out[k] = _plain(v)
        return out
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def to_dict(settings: Settings) -> dict[str, Any]:
    """The kebab-case document ``{"settings": {...}}`` (unset fields omitted, ``extra`` merged in)."""
    return {"settings": _plain(settings)}


def _convert(tp: Any, value: Any) -> Any:
    """Best-effort structural conversion of a plain value to ``tp``; values that do not fit are kept unchanged."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        for arm in arms:
            arm_origin = typing.get_origin(arm) or arm
            if isinstance(value, list) and arm_origin is tuple:
                return _convert(arm, value)
            if isinstance(value, dict) and (
                arm_origin is Mapping or (isinstance(arm, type) and dataclasses.is_dataclass(arm))
            ):
                return _convert(arm, value)
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _build(tp, value) if isinstance(value, dict) else value
    if origin is Mapping:
        _, vt = typing.get_args(tp)
        return {k: _convert(vt, v) for k, v in value.items()} if isinstance(value, dict) else value
    if origin is tuple:
        if not isinstance(value, list):
            return value
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        if len(args) == len(value):
            return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)
    return value


def _build(cls: type[T], data: Mapping[str, Any]) -> T:
    hints = _hints(cls)  # type: ignore[arg-type]
    by_key = _field_by_key(cls)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        name = by_key.get(key)
        if name is None:
            extra[key] = value
        else:
            kwargs[name] = _convert(hints[name], value)
    return cls(**kwargs, extra=extra)  # type: ignore[call-arg]


def from_dict(document: Mapping[str, Any]) -> Settings:
    """Build :class:`Settings` from ``{"settings": {...}}`` (or from the bare settings table)."""
    table = document.get("settings", document)
    if not isinstance(table, Mapping):
        raise ConfigError("settings", table, "a table of settings")
    return _build(Settings, dict(table))
