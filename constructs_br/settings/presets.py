"""Secure defaults and CIS Bottlerocket Benchmark presets, plus the 28 ``apiclient report cis`` checks as data.

* :func:`secure_defaults`: admin host container off, control on, kernel lockdown ``integrity`` (not on ``-nvidia``,
  whose default ``none`` lets the NVIDIA driver load), NTP servers set.
* :func:`cis_level1`: Bottlerocket's defaults pass Level 1, so this is :func:`secure_defaults` (which keeps them).
* :func:`cis_level2`: Level 1 plus the Level 2 sysctls, ``udf``/``sctp`` blocked, lockdown ``integrity`` and a
  bootstrap container (``mode = "always"``) that installs the iptables/ip6tables rules on every boot.

>>> len(CIS_CHECKS), sum(c.level == 1 for c in CIS_CHECKS)
(28, 15)
>>> next(c for c in CIS_CHECKS if c.id == "3.4.1.1").how_for("aws-k8s-1.33")
'not-possible'
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from constructs_br.errors import ConfigError
from constructs_br.settings.merge import merge
from constructs_br.settings.model import (
    BootstrapContainer,
    HostContainer,
    KernelModule,
    KernelSettings,
    NtpSettings,
    Settings,
)
from constructs_br.settings.validate import is_url
from constructs_br.settings.variants import parse_variant, supports_lockdown_integrity

DEFAULT_TIME_SERVERS: tuple[str, ...] = ("169.254.169.123", "2.amazon.pool.ntp.org")
"""Bottlerocket's AWS defaults: the Amazon Time Sync Service link-local address, then the public pool."""

CIS_BOOTSTRAP_CONTAINER = "cis-bootstrap"

CIS_LEVEL2_SYSCTLS: dict[str, str] = {
    "net.ipv4.conf.all.send_redirects": "0",  # 3.1.1
    "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.conf.all.accept_source_route": "0",  # 3.2.1 (passes by default; pinned)
    "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv6.conf.all.accept_source_route": "0",
    "net.ipv6.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.accept_redirects": "0",  # 3.2.2
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv6.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0",  # 3.2.3
    "net.ipv4.conf.default.secure_redirects": "0",
    "net.ipv4.conf.all.log_martians": "1",  # 3.2.4
    "net.ipv4.conf.default.log_martians": "1",
}

CIS_BLOCKED_MODULES: tuple[str, ...] = ("udf", "sctp")  # 1.1.1.1, 3.3.1

How = Literal["default", "setting", "bootstrap", "manual", "not-possible"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CisCheck:
    """One item of ``apiclient report cis`` (CIS Bottlerocket Benchmark v1.0.0) and how we satisfy it.

    ``how``: ``default`` (passes on stock Bottlerocket; we keep it), ``setting`` (user data from the Level 2 preset),
    ``bootstrap`` (the iptables bootstrap container), ``manual`` (the report always SKIPs it), ``not-possible``.
    ``not_possible_on``: variant globs where the check cannot pass whatever we configure (see ``detail``).
    """

    id: str
    level: Literal[1, 2]
    title: str
    how: How
    detail: str
    applies_to: tuple[str, ...] = ("aws-k8s-*", "aws-ecs-*")
    not_possible_on: tuple[str, ...] = ()

    def how_for(self, variant: str) -> How:
        """``how`` for one variant: ``not-possible`` where a glob in ``not_possible_on`` matches."""
        if any(fnmatchcase(variant, g) for g in self.not_possible_on):
            return "not-possible"
        return self.how


def _c(id_: str, level: Literal[1, 2], title: str, how: How, detail: str, **kw: tuple[str, ...]) -> CisCheck:
    return CisCheck(id=id_, level=level, title=title, how=how, detail=detail, **kw)


_FW = "Bootstrap container (iptables rules are not persistent; mode = always re-applies them each boot)."
CIS_CHECKS: tuple[CisCheck, ...] = (
    _c("1.1.1.1", 2, "Ensure mounting of udf filesystems is disabled", "setting",
       "settings.kernel.modules.udf.allowed = false (modprobe install udf /bin/true)."),
    _c("1.2.1", 1, "Ensure software update repositories are configured", "manual",
       "Report SKIPs it; settings.updates keeps Bottlerocket's TUF repository defaults."),
    _c("1.3.1", 1, "Ensure dm-verity is configured", "default", "Kernel command line; not configurable."),
    _c("1.4.1", 1, "Ensure setuid programs do not create core dumps", "default",
       "fs.suid_dumpable = 0 by default; do not override it in settings.kernel.sysctl."),
    _c("1.4.2", 1, "Ensure address space layout randomization (ASLR) is enabled", "default",
       "kernel.randomize_va_space = 2 by default; do not override it."),
    _c("1.4.3", 1, "Ensure unprivileged eBPF is disabled", "default",
       "kernel.unprivileged_bpf_disabled = 1 by default; do not override it."),
    _c("1.4.4", 2, "Ensure user namespaces are disabled", "default",
       "Passed on stock nodes in the AWS workshop run; the preset does not set user.max_user_namespaces = 0 because "
       "it breaks workloads that need user namespaces. Add it via extras if your workloads allow."),
    _c("1.5.1", 1, "Ensure SELinux is configured", "default", "Enforcing fortified policy; not configurable."),
    _c("1.5.2", 2, "Ensure Lockdown is configured", "setting",
       'settings.kernel.lockdown = "integrity" ("confidentiality" fails the check). -nvidia variants keep "none" so '
       "the NVIDIA driver loads; the presets do not raise it there.",
       not_possible_on=("aws-k8s-*-nvidia*", "aws-ecs-*-nvidia*")),
    _c("1.6", 1, "Ensure updates, patches, and additional security software are installed", "manual",
       "Report SKIPs it; node replacement with pinned AMIs (or brupop / ecs-updater) keeps nodes patched."),
    _c("2.1.1.1", 1, "Ensure chrony is configured", "default",
       "chronyd runs by default; secure defaults keep settings.ntp.time-servers non-empty."),
    _c("3.1.1", 2, "Ensure packet redirect sending is disabled", "setting",
       "sysctl net.ipv4.conf.{all,default}.send_redirects = 0."),
    _c("3.2.1", 2, "Ensure source routed packets are not accepted", "setting",
       "Passes by default; the preset pins net.ipv{4,6}.conf.{all,default}.accept_source_route = 0."),
    _c("3.2.2", 2, "Ensure ICMP redirects are not accepted", "setting",
       "sysctl net.ipv{4,6}.conf.{all,default}.accept_redirects = 0."),
    _c("3.2.3", 2, "Ensure secure ICMP redirects are not accepted", "setting",
       "sysctl net.ipv4.conf.{all,default}.secure_redirects = 0."),
    _c("3.2.4", 2, "Ensure suspicious packets are logged", "setting",
       "sysctl net.ipv4.conf.{all,default}.log_martians = 1."),
    _c("3.2.5", 1, "Ensure broadcast ICMP requests are ignored", "default",
       "net.ipv4.icmp_echo_ignore_broadcasts = 1 by default."),
    _c("3.2.6", 1, "Ensure bogus ICMP responses are ignored", "default",
       "net.ipv4.icmp_ignore_bogus_error_responses = 1 by default."),
    _c("3.2.7", 1, "Ensure TCP SYN Cookies is enabled", "default", "net.ipv4.tcp_syncookies = 1 by default."),
    _c("3.3.1", 2, "Ensure SCTP is disabled", "setting", "settings.kernel.modules.sctp.allowed = false."),
    _c("3.4.1.1", 2, "Ensure IPv4 default deny firewall policy", "bootstrap",
       _FW + " Not possible on aws-k8s-*: kubelet.service resets the FORWARD policy to ACCEPT when it starts, so the "
       "check always FAILs there.",
       not_possible_on=("aws-k8s-*",)),
    _c("3.4.1.2", 2, "Ensure IPv4 loopback traffic is configured", "bootstrap", _FW),
    _c("3.4.1.3", 1, "Ensure IPv4 outbound and established connections are configured", "bootstrap",
       _FW + " The report SKIPs it (manual)."),
    _c("3.4.2.1", 2, "Ensure IPv6 default deny firewall policy", "bootstrap", _FW),
    _c("3.4.2.2", 2, "Ensure IPv6 loopback traffic is configured", "bootstrap", _FW),
    _c("3.4.2.3", 1, "Ensure IPv6 outbound and established connections are configured", "bootstrap",
       _FW + " The report SKIPs it (manual)."),
    _c("4.1.1.1", 1, "Ensure journald is configured to write logs to persistent disk", "default",
       "Storage=persistent by default."),
    _c("4.1.2", 1, "Ensure permissions on journal files are configured", "default", "Default file modes."),
)  # fmt: skip


def cis_checks_for(variant: str, level: Literal[1, 2]) -> tuple[tuple[CisCheck, How], ...]:
    """The checks ``apiclient report cis -l <level>`` runs on ``variant``, each with how it is satisfied there."""
    parse_variant(variant)
    return tuple((c, c.how_for(variant)) for c in CIS_CHECKS if c.level <= level)


def secure_defaults(variant: str) -> Settings:
    """Library defaults every node gets (see the module docstring)."""
    v = parse_variant(variant)
    return Settings(
        host_containers={"admin": HostContainer(enabled=False), "control": HostContainer(enabled=True)},
        kernel=KernelSettings(lockdown="integrity") if supports_lockdown_integrity(v) else None,
        ntp=NtpSettings(time_servers=DEFAULT_TIME_SERVERS),
    )


def cis_level1(variant: str) -> Settings:
    """CIS Level 1: Bottlerocket's defaults already pass; keep them (== :func:`secure_defaults`)."""
    return secure_defaults(variant)


def cis_level2(variant: str, *, bootstrap_image: str, essential: bool = False) -> Settings:
    """CIS Level 2 on top of Level 1.

    ``bootstrap_image``: the iptables bootstrap image (e.g. built from aws-samples' bottlerocket-cis-bootstrap-image).
    ``essential``: halt boot if the firewall rules fail to apply (the AWS samples leave it off).
    """
    v = parse_variant(variant)
    if not bootstrap_image or (not is_url(bootstrap_image) and "${Token[" not in bootstrap_image):
        raise ConfigError("bootstrap_image", bootstrap_image, "a container image reference, e.g. <ecr-repo>:<tag>")
    level2 = Settings(
        kernel=KernelSettings(
            lockdown="integrity" if supports_lockdown_integrity(v) else None,
            sysctl=dict(CIS_LEVEL2_SYSCTLS),
            modules={name: KernelModule(allowed=False) for name in CIS_BLOCKED_MODULES},
        ),
        bootstrap_containers={
            CIS_BOOTSTRAP_CONTAINER: BootstrapContainer(source=bootstrap_image, mode="always", essential=essential)
        },
    )
    return merge(cis_level1(variant), level2)
