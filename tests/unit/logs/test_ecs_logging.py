"""ECS node logging: a DAEMON service reads the host journal through a read-only bind mount and ships to the
stage's encrypted groups with a scoped task role; FireLens gives an application task a log router."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_ecs as ecs

from constructs_br.logs.firelens import add_log_router, firelens_logging
from constructs_br.logs.fluentbit import tag_matches
from tests.unit.logs.helpers import ecs_sections, ecs_stack, log_group_names, of_type
from tests.unit.logs.test_eks_logging import assert_log_iam_scoped


@pytest.fixture(scope="module")
def pilot() -> tuple[dict[str, Any], Any, Any]:
    return ecs_stack("pilot")


def test_every_log_group_has_kms_and_retention(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    groups = of_type(pilot[0], "AWS::Logs::LogGroup")
    assert {g["Properties"]["LogGroupName"] for g in groups.values()} == {
        "/constructs-br/pilot/ecs/host",
        "/constructs-br/pilot/ecs/containers",
    }
    for logical_id, group in groups.items():
        assert "KmsKeyId" in group["Properties"], logical_id
        assert group["Properties"]["RetentionInDays"] == 365, logical_id


def test_daemon_service_reads_the_journal(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    template = pilot[0]
    (service,) = of_type(template, "AWS::ECS::Service").values()
    assert service["Properties"]["SchedulingStrategy"] == "DAEMON"
    (task,) = of_type(template, "AWS::ECS::TaskDefinition").values()
    volumes = {v["Name"]: v for v in task["Properties"]["Volumes"]}
    assert volumes["journal"]["Host"]["SourcePath"] == "/var/log/journal"
    (container,) = task["Properties"]["ContainerDefinitions"]
    mounts = {m["SourceVolume"]: m for m in container["MountPoints"]}
    assert mounts["journal"] == {"ContainerPath": "/var/log/journal", "SourceVolume": "journal", "ReadOnly": True}
    assert container["ReadonlyRootFilesystem"] is True
    assert "@sha256:" in container["Image"]
    assert "latest" not in container["Image"]
    assert container["Memory"] >= container["MemoryReservation"] > 0
    assert container["Cpu"] > 0
    assert "Environment" not in container
    sections = ecs_sections(template)
    (journal,) = [s for s in sections if s.get("Name") == "systemd"]
    assert journal.get("Path") == "/var/log/journal"
    names = log_group_names(template)
    outputs = [s for s in sections if s.name == "OUTPUT"]
    for o in outputs:
        assert o.get("log_group_name") in names
        assert o.get("auto_create_group") == "false"
    for i in (s for s in sections if s.name == "INPUT"):
        assert any(tag_matches(o.get("Match") or "", i.get("Tag") or "") for o in outputs)


def test_task_role_is_scoped_to_the_stage_groups(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    assert assert_log_iam_scoped(pilot[0]) >= 1


def test_production_groups_are_retained_two_years() -> None:
    template, _, _ = ecs_stack("production")
    for logical_id, group in of_type(template, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == 731, logical_id
        assert group["DeletionPolicy"] == "Retain", logical_id


def _firelens_app(stack: Any, result: Any) -> ecs.Ec2TaskDefinition:
    from stacks.logging import logging_config

    task = ecs.Ec2TaskDefinition(stack, "App")
    add_log_router(task, log_group=result.groups.containers, image=logging_config("pilot", {}).image)
    task.add_container(
        "Web",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx@sha256:" + "e" * 64),
        memory_limit_mib=128,
        logging=firelens_logging(stack, log_group_name=result.groups.names.containers, stream_prefix="web"),
    )
    return task


def test_firelens_helper_adds_a_router_and_scoped_permissions() -> None:
    template, _, _ = ecs_stack("pilot", extra=_firelens_app)
    app_task = next(t for k, t in of_type(template, "AWS::ECS::TaskDefinition").items() if k.startswith("App"))
    containers = {c["Name"]: c for c in app_task["Properties"]["ContainerDefinitions"]}
    assert containers["log-router"]["FirelensConfiguration"]["Type"] == "fluentbit"
    web = containers["Web"]["LogConfiguration"]
    assert web["LogDriver"] == "awsfirelens"
    assert web["Options"]["log_group_name"] == "/constructs-br/pilot/ecs/containers"
    assert web["Options"]["auto_create_group"] == "false"
    assert assert_log_iam_scoped(template) >= 2


def test_nag_gates_pass(tmp_path: Path) -> None:
    ecs_stack("canary", nag_dir=tmp_path, extra=_firelens_app)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["violations"]
