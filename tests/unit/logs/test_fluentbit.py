"""The Fluent Bit renderer (pure): it parses, its wiring is checked, it is deterministic, and a small snapshot."""

from __future__ import annotations

import doctest
import subprocess
import sys

import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_br.errors import ConfigError
from constructs_br.logs import fluentbit
from constructs_br.logs.fluentbit import (
    CloudWatchOutput,
    FirehoseOutput,
    FluentBitConfig,
    FluentBitImage,
    GrepFilter,
    OpenSearchOutput,
    SystemdInput,
    TailInput,
    ecs_node_config,
    eks_node_config,
    parse_classic,
    tag_matches,
)

HOST, CONTAINERS = "/constructs-br/pilot/eks/host", "/constructs-br/pilot/eks/containers"


def eks() -> FluentBitConfig:
    return eks_node_config(region="us-west-2", host_log_group=HOST, containers_log_group=CONTAINERS)


def test_doctests() -> None:
    assert doctest.testmod(fluentbit, optionflags=doctest.ELLIPSIS).failed == 0


def test_the_renderer_is_pure() -> None:
    code = "import sys, constructs_br.logs.fluentbit; print('aws_cdk' in sys.modules or 'jsii' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "False"


def test_rendered_eks_config_snapshot(snapshot: SnapshotAssertion) -> None:
    assert eks().render() == snapshot


def test_rendered_ecs_config_snapshot(snapshot: SnapshotAssertion) -> None:
    assert ecs_node_config(region="us-east-1", host_log_group="/constructs-br/prod/ecs/host").render() == snapshot


@pytest.mark.parametrize("cfg", [eks(), ecs_node_config(region="us-east-1", host_log_group="/x/ecs/host")])
def test_rendered_config_parses_and_every_input_reaches_an_output(cfg: FluentBitConfig) -> None:
    sections = parse_classic(cfg.render())
    assert next(s.name for s in sections) == "SERVICE"
    inputs = [s for s in sections if s.name == "INPUT"]
    outputs = [s for s in sections if s.name == "OUTPUT"]
    assert inputs
    assert outputs
    for i in inputs:
        tag = i.get("Tag")
        assert tag
        assert any(tag_matches(o.get("Match") or "", tag) for o in outputs), tag
    for o in outputs:
        if o.get("Name") == "cloudwatch_logs":
            assert o.get("auto_create_group") == "false"


def test_journal_input_reads_bottlerocket_journal_with_wildcard_units() -> None:
    sections = parse_classic(eks().render())
    (journal,) = [s for s in sections if s.get("Name") == "systemd"]
    assert journal.get("Path") == "/var/log/journal"
    # host-containers@* has a wildcard: no exact Systemd_Filter (it would drop the others), a grep filter instead.
    assert journal.all("Systemd_Filter") == []
    (grep,) = [s for s in sections if s.get("Name") == "grep"]
    assert grep.get("Match") == "host.journal"
    regex = grep.get("Regex")
    assert regex is not None
    assert regex.startswith("_SYSTEMD_UNIT ^(")
    import re

    pattern = re.compile(regex.split(" ", 1)[1])
    for unit in ("kubelet.service", "containerd.service", "host-containerd.service", "host-containers@admin.service"):
        assert pattern.match(unit), unit
    for unit in ("sshd.service", "kubeletXservice", "host-containers@"):
        assert not pattern.match(unit), unit


def test_exact_units_are_ored_systemd_filters() -> None:
    cfg = FluentBitConfig(
        inputs=(SystemdInput(tag="host.journal", units=("kubelet.service", "containerd.service")),),
        outputs=(CloudWatchOutput(match="host.*", log_group_name=HOST, region="us-west-2"),),
    )
    (journal,) = [s for s in parse_classic(cfg.render()) if s.name == "INPUT"]
    assert journal.all("Systemd_Filter") == ["_SYSTEMD_UNIT=containerd.service", "_SYSTEMD_UNIT=kubelet.service"]
    assert journal.get("Systemd_Filter_Type") == "Or"  # Fluent Bit's default, And, would match nothing


def test_kubernetes_metadata_on_container_logs() -> None:
    sections = parse_classic(eks().render())
    (kube,) = [s for s in sections if s.get("Name") == "kubernetes"]
    (tail,) = [s for s in sections if s.get("Name") == "tail"]
    assert kube.get("Match") == "kube.*"
    assert tail.get("Tag") == "kube.*"
    assert tail.get("Path") == "/var/log/containers/*.log"
    assert kube.get("Kube_Tag_Prefix") == "kube.var.log.containers."


def test_rendering_is_deterministic() -> None:
    assert eks().render() == eks().render()


def test_optional_outputs_render() -> None:
    cfg = eks_node_config(
        region="us-west-2",
        host_log_group=HOST,
        containers_log_group=CONTAINERS,
        extra_outputs=(
            FirehoseOutput(match="*", delivery_stream="node-logs", region="us-west-2"),
            OpenSearchOutput(
                match="kube.*", host="search-x.us-west-2.es.amazonaws.com", index="k8s", region="us-west-2"
            ),
        ),
    )
    names = [s.get("Name") for s in parse_classic(cfg.render()) if s.name == "OUTPUT"]
    assert names == ["cloudwatch_logs", "cloudwatch_logs", "kinesis_firehose", "opensearch"]
    assert cfg.log_group_names() == (CONTAINERS, HOST)


def test_wiring_problems_are_all_reported() -> None:
    cfg = FluentBitConfig(
        inputs=(
            SystemdInput(tag="host.journal", units=()),
            TailInput(tag="orphan.*", path="relative/*.log"),
        ),
        filters=(GrepFilter(match="nothing.*", key="k", regex="v"),),
        outputs=(
            CloudWatchOutput(match="host.*", log_group_name="bad name", region="us-west-2"),
            CloudWatchOutput(match="never.*", log_group_name=HOST, region="us-west-2"),
        ),
    )
    with pytest.raises(ConfigError) as exc:
        cfg.render()
    fields = exc.value.fields
    assert "fluent_bit.inputs[0].units" in fields
    assert "fluent_bit.inputs[1].tag" in fields  # orphan.* reaches no output
    assert "fluent_bit.inputs[1].path" in fields
    assert "fluent_bit.outputs[0].log_group_name" in fields
    assert "fluent_bit.outputs[1].match" in fields  # never.* matches no input
    assert "fluent_bit.filters[0].match" in fields


def test_duplicate_tags_and_line_breaks_and_helm_braces_are_refused() -> None:
    cfg = FluentBitConfig(
        inputs=(
            SystemdInput(tag="host.journal", units=("kubelet.service",)),
            SystemdInput(tag="host.journal", units=("containerd.service",), path="/var/log/journal\nInjected x"),
        ),
        outputs=(CloudWatchOutput(match="host.*", log_group_name=HOST, region="{{ .Values.region }}"),),
    )
    with pytest.raises(ConfigError) as exc:
        cfg.render()
    text = str(exc.value)
    assert "a tag used by one input only" in text
    assert "a single-line value" in text
    assert "tpl" in text


@pytest.mark.parametrize(
    ("line", "allowed"),
    [
        ("Name dummy", "before any key"),
        ("[INPUT]\nName dummy", "indented"),
        ("[INPUT]\n    Name", "'key value'"),
        ("[BOGUS]\n    a b", "a section"),
    ],
)
def test_parser_refuses_malformed_text(line: str, allowed: str) -> None:
    with pytest.raises(ConfigError, match=allowed):
        parse_classic(line)


def test_image_is_pinned_by_digest() -> None:
    image = FluentBitImage.parse("public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.5@sha256:" + "b" * 64)
    assert image.reference.endswith("@sha256:" + "b" * 64)
    assert ":2.32.5" not in image.reference
    for bad in ("public.ecr.aws/x/y:latest", "public.ecr.aws/x/y:2.32.5@sha256:short"):
        with pytest.raises(ConfigError):
            FluentBitImage.parse(bad)
    with pytest.raises(ConfigError, match="not latest"):
        FluentBitImage(repository="public.ecr.aws/x/y", tag="latest", digest="sha256:" + "c" * 64)
