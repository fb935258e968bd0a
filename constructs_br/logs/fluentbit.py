"""Fluent Bit configuration as typed data, rendered to Fluent Bit's classic format — and parsed back.

Pure Python (no ``aws_cdk``): the EKS add-on, the ECS daemon service and the tests all use it. A configuration is a
:class:`FluentBitConfig` of inputs, filters and outputs; :meth:`FluentBitConfig.problems` checks the wiring (every
input's tag is matched by some output, every output matches some input, tags are unique, options have no line
breaks) and :meth:`FluentBitConfig.render` refuses a configuration with problems. Rendering is deterministic (same
inputs, same bytes): the text ends up in an add-on's configuration or a task definition, where any byte change is
an update.

>>> cfg = FluentBitConfig(
...     inputs=(SystemdInput(tag="host.journal", units=("kubelet.service", "containerd.service")),),
...     outputs=(CloudWatchOutput(match="host.*", log_group_name="/br/pilot/host", region="us-west-2"),),
... )
>>> print(cfg.render())  # doctest: +NORMALIZE_WHITESPACE
[SERVICE]
    Flush 5
    Grace 30
    Log_Level warn
    Daemon off
    storage.path /var/fluent-bit/state/flb-storage/
    storage.sync normal
    storage.backlog.mem_limit 5M
<BLANKLINE>
[INPUT]
    Name systemd
    Tag host.journal
    Path /var/log/journal
    DB /var/fluent-bit/state/systemd-host.journal.db
    Read_From_Tail On
    Strip_Underscores Off
    Systemd_Filter _SYSTEMD_UNIT=containerd.service
    Systemd_Filter _SYSTEMD_UNIT=kubelet.service
    Systemd_Filter_Type Or
<BLANKLINE>
[OUTPUT]
    Name cloudwatch_logs
    Match host.*
    region us-west-2
    log_group_name /br/pilot/host
    log_stream_prefix ${HOST_NAME}.
    auto_create_group false
<BLANKLINE>
>>> [s.name for s in parse_classic(cfg.render())]
['SERVICE', 'INPUT', 'OUTPUT']
>>> tag_matches("host.*", "host.journal"), tag_matches("kube.*", "host.journal")
(True, False)
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from constructs_br.errors import ConfigError, Problem, Problems

JOURNAL_PATH = "/var/log/journal"
"""Where Bottlerocket keeps the systemd journal on the host (persistent journal)."""

STATE_DIR = "/var/fluent-bit/state"
"""Where Fluent Bit keeps read positions (DB files) and its filesystem buffer."""

EKS_JOURNAL_UNITS = ("kubelet.service", "containerd.service", "host-containerd.service", "host-containers@*")
"""The host services of a Bottlerocket ``aws-k8s-*`` node whose logs live only in the journal."""

ECS_JOURNAL_UNITS = (
    "ecs.service",
    "docker.service",
    "containerd.service",
    "host-containerd.service",
    "host-containers@*",
)
"""The host services of a Bottlerocket ``aws-ecs-*`` node (the ECS agent, Docker, host containers)."""

_TAG = re.compile(r"^[A-Za-z0-9_.\-]+(\*)?$")
_MATCH = re.compile(r"^[A-Za-z0-9_.\-*]+$")
_UNIT = re.compile(r"^[A-Za-z0-9@_.\-*]+$")
_LOG_GROUP = re.compile(r"^[A-Za-z0-9_\-/.#]{1,512}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_BREAKS = ("\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029")


def tag_matches(pattern: str, tag: str) -> bool:
    """Fluent Bit's ``Match``: ``*`` matches any run of characters (dots included); everything else is literal.

    An input tag ending in ``*`` (``kube.*`` on a tail input) is expanded by Fluent Bit with the file path; a match
    pattern is tested against a sample expansion of it.

    >>> tag_matches("*", "anything"), tag_matches("kube.*", "kube.var.log.containers.a.log")
    (True, True)
    """
    sample = tag.replace("*", "var.log.sample")
    return fnmatch.fnmatchcase(sample, pattern.replace("[", "[[]"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """The ``[SERVICE]`` section. ``storage_path`` enables the filesystem buffer (survives a pod restart)."""

    flush_seconds: int = 5
    grace_seconds: int = 30
    log_level: str = "warn"
    storage_path: str | None = f"{STATE_DIR}/flb-storage/"
    http_server: bool = False
    http_port: int = 2020

    def options(self) -> list[tuple[str, str]]:
        opts = [
            ("Flush", str(self.flush_seconds)),
            ("Grace", str(self.grace_seconds)),
            ("Log_Level", self.log_level),
            ("Daemon", "off"),
        ]
        if self.http_server:
            opts += [("HTTP_Server", "On"), ("HTTP_Listen", "0.0.0.0"), ("HTTP_Port", str(self.http_port))]
        if self.storage_path:
            opts += [
                ("storage.path", self.storage_path),
                ("storage.sync", "normal"),
                ("storage.backlog.mem_limit", "5M"),
            ]
        return opts


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemdInput:
    """The journal (``systemd`` input). ``units`` are unit names; ``*`` in a name (``host-containers@*``) is a
    wildcard. Exact names become ``Systemd_Filter`` lines (OR-ed); with any wildcard the input reads the whole
    journal and a ``grep`` filter keeps the units (the journal API matches fields exactly)."""

    tag: str
    units: tuple[str, ...]
    path: str = JOURNAL_PATH
    read_from_tail: bool = True
    db: str | None = None

    def options(self) -> list[tuple[str, str]]:
        opts = [
            ("Name", "systemd"),
            ("Tag", self.tag),
            ("Path", self.path),
            ("DB", self.db or f"{STATE_DIR}/systemd-{self.tag.replace('*', '_')}.db"),
            ("Read_From_Tail", "On" if self.read_from_tail else "Off"),
            ("Strip_Underscores", "Off"),
        ]
        if not self.has_wildcards:
            opts += [("Systemd_Filter", f"_SYSTEMD_UNIT={u}") for u in sorted(self.units)]
            opts.append(("Systemd_Filter_Type", "Or"))
        return opts

    @property
    def has_wildcards(self) -> bool:
        return any("*" in u for u in self.units)

    def unit_regex(self) -> str:
        """One anchored regex for all units (used by the grep filter when a unit has a wildcard).

        >>> SystemdInput(tag="h", units=("kubelet.service", "host-containers@*")).unit_regex()
        '^(host-containers@.+|kubelet\\\\.service)$'
        """
        # Unit names are [A-Za-z0-9@_.-*] (checked): only '.' is special in a regex.
        parts = sorted(u.replace(".", r"\.").replace("*", ".+") for u in self.units)
        return "^(" + "|".join(parts) + ")$"

    def problems(self, where: str) -> list[Problem]:
        p = Problems()
        if not self.units:
            p.add(f"{where}.units", self.units, "one or more systemd unit names (kubelet.service, host-containers@*)")
        for unit in self.units:
            if not _UNIT.match(unit):
                p.add(f"{where}.units", unit, "a systemd unit name of [A-Za-z0-9@_.-], '*' as wildcard")
        return p.items


@dataclass(frozen=True, slots=True, kw_only=True)
class TailInput:
    """Files (``tail`` input), e.g. container logs under ``/var/log/containers`` in the CRI format."""

    tag: str
    path: str
    exclude_path: tuple[str, ...] = ()
    multiline_parser: str | None = "cri"
    mem_buf_limit: str = "50MB"
    read_from_head: bool = False
    db: str | None = None

    def options(self) -> list[tuple[str, str]]:
        opts = [("Name", "tail"), ("Tag", self.tag), ("Path", self.path)]
        if self.exclude_path:
            opts.append(("Exclude_Path", ", ".join(self.exclude_path)))
        if self.multiline_parser:
            opts.append(("multiline.parser", self.multiline_parser))
        opts += [
            ("DB", self.db or f"{STATE_DIR}/tail-{self.tag.replace('*', '_')}.db"),
            ("Mem_Buf_Limit", self.mem_buf_limit),
            ("Skip_Long_Lines", "On"),
            ("Refresh_Interval", "10"),
            ("Rotate_Wait", "30"),
            ("storage.type", "filesystem"),
            ("Read_from_Head", "On" if self.read_from_head else "Off"),
        ]
        return opts

    def problems(self, where: str) -> list[Problem]:
        if not self.path.startswith("/"):
            return [Problem(f"{where}.path", self.path, "an absolute path (glob allowed)")]
        return []


@dataclass(frozen=True, slots=True, kw_only=True)
class KubernetesFilter:
    """Kubernetes metadata (pod, namespace, container) on container-log records, from the kubelet."""

    match: str
    kube_tag_prefix: str
    merge_log: bool = True
    labels: bool = False
    annotations: bool = False
    use_kubelet: bool = True

    def options(self) -> list[tuple[str, str]]:
        opts = [
            ("Name", "kubernetes"),
            ("Match", self.match),
            ("Kube_URL", "https://kubernetes.default.svc:443"),
            ("Kube_Tag_Prefix", self.kube_tag_prefix),
            ("Merge_Log", "On" if self.merge_log else "Off"),
            ("Keep_Log", "Off"),
            ("K8S-Logging.Parser", "On"),
            ("K8S-Logging.Exclude", "Off"),
            ("Labels", "On" if self.labels else "Off"),
            ("Annotations", "On" if self.annotations else "Off"),
        ]
        if self.use_kubelet:
            opts += [("Use_Kubelet", "On"), ("Kubelet_Port", "10250"), ("Buffer_Size", "0")]
        return opts


@dataclass(frozen=True, slots=True, kw_only=True)
class GrepFilter:
    """Keep records whose ``key`` matches ``regex``."""

    match: str
    key: str
    regex: str

    def options(self) -> list[tuple[str, str]]:
        return [("Name", "grep"), ("Match", self.match), ("Regex", f"{self.key} {self.regex}")]


@dataclass(frozen=True, slots=True, kw_only=True)
class CloudWatchOutput:
    """CloudWatch Logs (``cloudwatch_logs``). The log group must exist: ``auto_create_group`` is always off (the
    role has no ``logs:CreateLogGroup``; a group Fluent Bit created would be unencrypted and kept forever)."""

    match: str
    log_group_name: str
    region: str
    log_stream_prefix: str = "${HOST_NAME}."

    def options(self) -> list[tuple[str, str]]:
        return [
            ("Name", "cloudwatch_logs"),
            ("Match", self.match),
            ("region", self.region),
            ("log_group_name", self.log_group_name),
            ("log_stream_prefix", self.log_stream_prefix),
            ("auto_create_group", "false"),
        ]

    def problems(self, where: str) -> list[Problem]:
        if not _LOG_GROUP.match(self.log_group_name):
            return [Problem(f"{where}.log_group_name", self.log_group_name, "1-512 of [A-Za-z0-9_-/.#]")]
        return []


@dataclass(frozen=True, slots=True, kw_only=True)
class FirehoseOutput:
    """Amazon Data Firehose (``kinesis_firehose``), an optional destination (its role needs ``firehose:PutRecordBatch``
    on the stream, which the caller grants)."""

    match: str
    delivery_stream: str
    region: str

    def options(self) -> list[tuple[str, str]]:
        return [
            ("Name", "kinesis_firehose"),
            ("Match", self.match),
            ("region", self.region),
            ("delivery_stream", self.delivery_stream),
        ]

    def problems(self, where: str) -> list[Problem]:
        return []


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenSearchOutput:
    """Amazon OpenSearch Service (``opensearch``) with SigV4 and TLS, an optional destination."""

    match: str
    host: str
    index: str
    region: str
    port: int = 443
    serverless: bool = False

    def options(self) -> list[tuple[str, str]]:
        return [
            ("Name", "opensearch"),
            ("Match", self.match),
            ("Host", self.host),
            ("Port", str(self.port)),
            ("Index", self.index),
            ("AWS_Auth", "On"),
            ("AWS_Region", self.region),
            ("AWS_Service_Name", "aoss" if self.serverless else "es"),
            ("tls", "On"),
            ("Suppress_Type_Name", "On"),
        ]

    def problems(self, where: str) -> list[Problem]:
        if "/" in self.host or ":" in self.host:
            return [Problem(f"{where}.host", self.host, "a host name without scheme or port")]
        return []


Input: TypeAlias = SystemdInput | TailInput
Filter: TypeAlias = KubernetesFilter | GrepFilter
Output: TypeAlias = CloudWatchOutput | FirehoseOutput | OpenSearchOutput


@dataclass(frozen=True, slots=True)
class Section:
    """One parsed section: its name (``SERVICE``, ``INPUT``, ``FILTER``, ``OUTPUT``) and its ``(key, value)`` lines
    in order (a key may repeat, e.g. ``Systemd_Filter``)."""

    name: str
    options: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """The first value of ``key`` (keys are case-insensitive in Fluent Bit)."""
        for k, v in self.options:
            if k.lower() == key.lower():
                return v
        return None

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.options if k.lower() == key.lower()]


@dataclass(frozen=True, slots=True, kw_only=True)
class FluentBitConfig:
    """Inputs, filters and outputs; :meth:`render` gives the classic-format text."""

    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    filters: tuple[Filter, ...] = ()
    service: Service = field(default_factory=Service)

    def all_filters(self) -> tuple[Filter, ...]:
        """The filters as rendered: a grep filter for each journal input with wildcard units, then ``filters``."""
        implied: list[Filter] = [
            GrepFilter(match=i.tag, key="_SYSTEMD_UNIT", regex=i.unit_regex())
            for i in self.inputs
            if isinstance(i, SystemdInput) and i.has_wildcards
        ]
        return (*implied, *self.filters)

    def problems(self) -> list[Problem]:
        p = Problems()
        if not self.inputs:
            p.add("fluent_bit.inputs", (), "at least one input")
        if not self.outputs:
            p.add("fluent_bit.outputs", (), "at least one output")
        tags = [i.tag for i in self.inputs]
        for tag in sorted({t for t in tags if tags.count(t) > 1}):
            p.add("fluent_bit.inputs.tag", tag, "a tag used by one input only")
        for n, i in enumerate(self.inputs):
            where = f"fluent_bit.inputs[{n}]"
            if not _TAG.match(i.tag):
                p.add(f"{where}.tag", i.tag, "[A-Za-z0-9_.-], optionally ending in '*'")
            elif not any(tag_matches(o.match, i.tag) for o in self.outputs):
                p.add(
                    f"{where}.tag",
                    i.tag,
                    "a tag some output matches",
                    f"outputs match {[o.match for o in self.outputs]}",
                )
            p.extend(i.problems(where))
        for n, o in enumerate(self.outputs):
            where = f"fluent_bit.outputs[{n}]"
            if not _MATCH.match(o.match):
                p.add(f"{where}.match", o.match, "[A-Za-z0-9_.-] and '*'")
            elif not any(tag_matches(o.match, t) for t in tags):
                p.add(f"{where}.match", o.match, "a pattern that matches some input's tag", f"tags: {tags}")
            p.extend(o.problems(where))
        for n, f in enumerate(self.filters):
            if not any(tag_matches(f.match, t) for t in tags):
                p.add(f"fluent_bit.filters[{n}].match", f.match, "a pattern that matches some input's tag")
        for section, options in self._sections():
            for key, value in options:
                if any(b in value for b in _BREAKS) or any(b in key for b in _BREAKS):
                    p.add(f"fluent_bit.{section.lower()}.{key}", value, "a single-line value")
                if "{{" in value or "}}" in value:
                    p.add(
                        f"fluent_bit.{section.lower()}.{key}",
                        value,
                        "no '{{' or '}}'",
                        "the EKS add-on runs the configuration through Helm's tpl",
                    )
        return p.items

    def _sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [
            ("SERVICE", self.service.options()),
            *[("INPUT", i.options()) for i in self.inputs],
            *[("FILTER", f.options()) for f in self.all_filters()],
            *[("OUTPUT", o.options()) for o in self.outputs],
        ]

    def render(self, *, service: bool = True) -> str:
        """The classic-format text (``service=False`` leaves out ``[SERVICE]``, for a file that is included)."""
        problems = self.problems()
        if problems:
            raise ConfigError(problems=problems)
        sections = [s for s in self._sections() if service or s[0] != "SERVICE"]
        return render_sections(sections)

    def log_group_names(self) -> tuple[str, ...]:
        """Every CloudWatch log group the outputs write to, sorted, once each."""
        return tuple(sorted({o.log_group_name for o in self.outputs if isinstance(o, CloudWatchOutput)}))


def render_sections(sections: Iterable[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """Classic format: ``[NAME]`` then four-space-indented ``key value`` lines, a blank line after each section."""
    out: list[str] = []
    for name, options in sections:
        out.append(f"[{name}]")
        out.extend(f"    {k} {v}" for k, v in options)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def parse_classic(text: str) -> list[Section]:
    """Parse Fluent Bit's classic format (sections, indented ``key value`` lines, ``#`` comments, ``@INCLUDE`` /
    ``@SET`` directives — which are skipped). Raises :class:`ConfigError` on anything else, so a test that parses
    the rendered text catches an unindented key, a key without a value or an unknown section.

    >>> parse_classic("[INPUT]\\n    Name dummy\\n    Tag t\\n")[0].get("tag")
    't'
    """
    sections: list[Section] = []
    name: str | None = None
    options: list[tuple[str, str]] = []
    p = Problems()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("@"):
            continue
        header = re.fullmatch(r"\[\s*([A-Z_]+)\s*\]", stripped)
        if header:
            if name is not None:
                sections.append(Section(name, tuple(options)))
            name, options = header.group(1), []
            if name not in ("SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER", "MULTILINE_PARSER"):
                p.add(f"line {number}", stripped, "a section SERVICE | INPUT | FILTER | OUTPUT | PARSER")
            continue
        if name is None:
            p.add(f"line {number}", line, "a [SECTION] header before any key")
            continue
        if line[:1] not in (" ", "\t"):
            p.add(f"line {number}", line, "an indented 'key value' line")
            continue
        parts = stripped.split(None, 1)
        if len(parts) != 2 or not _KEY.match(parts[0]):
            p.add(f"line {number}", line, "'key value' with a key of [A-Za-z0-9_.-]")
            continue
        options.append((parts[0], parts[1].strip()))
    if name is not None:
        sections.append(Section(name, tuple(options)))
    p.raise_if_any()
    return sections


def journal_input(*, tag: str, units: Sequence[str]) -> SystemdInput:
    """The host journal, filtered to ``units``."""
    return SystemdInput(tag=tag, units=tuple(units))


def eks_node_config(
    *,
    region: str,
    host_log_group: str,
    containers_log_group: str,
    units: Sequence[str] = EKS_JOURNAL_UNITS,
    extra_outputs: Sequence[Output] = (),
) -> FluentBitConfig:
    """An EKS node: the journal (``host.journal``) to the host group; container logs (``kube.*``, CRI format, with
    Kubernetes metadata) to the containers group; ``extra_outputs`` (Firehose, OpenSearch) in addition."""
    return FluentBitConfig(
        inputs=(
            journal_input(tag="host.journal", units=units),
            TailInput(tag="kube.*", path="/var/log/containers/*.log"),
        ),
        filters=(KubernetesFilter(match="kube.*", kube_tag_prefix="kube.var.log.containers."),),
        outputs=(
            CloudWatchOutput(match="host.*", log_group_name=host_log_group, region=region),
            CloudWatchOutput(match="kube.*", log_group_name=containers_log_group, region=region),
            *extra_outputs,
        ),
    )


def ecs_node_config(
    *,
    region: str,
    host_log_group: str,
    units: Sequence[str] = ECS_JOURNAL_UNITS,
    extra_outputs: Sequence[Output] = (),
) -> FluentBitConfig:
    """An ECS node: the journal (ECS agent, Docker, host containers) to the host group. Application containers log
    through FireLens (see ``constructs_br.logs.firelens``), not through this daemon."""
    return FluentBitConfig(
        inputs=(journal_input(tag="host.journal", units=units),),
        outputs=(CloudWatchOutput(match="host.*", log_group_name=host_log_group, region=region), *extra_outputs),
    )


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_REPOSITORY = re.compile(r"^[a-z0-9]+([._\-/][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._\-][a-z0-9]+)*)*$")
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
"""A digest of the right shape that no image has: the committed default until someone reviews a real one."""


PLACEHOLDER_IMAGE_RULE = "PlaceholderImageRefused"
"""The CloudFormation rule a stack shipping logs with the placeholder image digest carries (it refuses deploys)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FluentBitImage:
    """The Fluent Bit image, pulled by digest (``tag`` is for people; the digest is what runs).

    >>> FluentBitImage(repository="public.ecr.aws/aws-observability/aws-for-fluent-bit", tag="2.32.5",
    ...                digest="sha256:" + "a" * 64).reference
    'public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    """

    repository: str
    tag: str
    digest: str

    def __post_init__(self) -> None:
        p = Problems()
        if not _REPOSITORY.match(self.repository) or "@" in self.repository:
            p.add("fluent_bit.image.repository", self.repository, "an image repository without tag or digest")
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}", self.tag) or self.tag == "latest":
            p.add("fluent_bit.image.tag", self.tag, "a release tag such as 2.32.5 (not latest)")
        if not _DIGEST.match(self.digest):
            p.add("fluent_bit.image.digest", self.digest, "sha256:<64 lowercase hex>")
        p.raise_if_any()

    @property
    def reference(self) -> str:
        """``repository@digest``: what the task definition pulls."""
        return f"{self.repository}@{self.digest}"

    @property
    def is_placeholder(self) -> bool:
        """The all-zero default digest: it synthesizes and refuses to deploy (:data:`PLACEHOLDER_IMAGE_RULE`)."""
        return self.digest == PLACEHOLDER_DIGEST

    @classmethod
    def parse(cls, text: str, *, field_name: str = "fluent_bit.image") -> FluentBitImage:
        """``repository:tag@sha256:…`` (the form ``crane digest`` output is pasted into)."""
        m = re.fullmatch(r"(?P<repo>[^@]+):(?P<tag>[^:@/]+)@(?P<digest>sha256:[0-9a-f]{64})", text.strip())
        if not m:
            raise ConfigError(field_name, text, "repository:tag@sha256:<64 hex>")
        return cls(repository=m["repo"], tag=m["tag"], digest=m["digest"])
