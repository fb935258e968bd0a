"""``brctl pins`` against a moto server seeded with Bottlerocket's public parameters and images in two regions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_br.cli import _aws
from constructs_br.cli.main import main
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import LockDocument, Lockfile
from tests.cli.conftest import REGIONS, Moto

WEST, EU = REGIONS
V1 = "1.50.0-abcdef12"
V2 = "1.51.0-0123abcd"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def lockfile(tmp_path: Path) -> Path:
    return tmp_path / "bottlerocket.lock.json"


@pytest.fixture
def brctl(capsys: pytest.CaptureFixture[str], lockfile: Path) -> Run:
    """Run brctl in-process; ``--lockfile`` is appended for pins/drift commands."""

    def run(*argv: str, lock: bool = True) -> tuple[int, str, str]:
        args = [*argv, "--lockfile", str(lockfile)] if lock else list(argv)
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pilot(lockfile: Path) -> Lockfile:
    """The first channel's pins: where ``brctl pins refresh`` writes."""
    return LockDocument.load(lockfile).channel("pilot")


def refresh(brctl: Run, variant: str, arch: str, *regions: str, extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    region_args = [a for r in regions for a in ("--region", r)]
    return brctl("pins", "refresh", *region_args, "--variant", variant, "--arch", arch, *extra)


def test_session_honours_aws_endpoint_url(moto: Moto) -> None:
    client = _aws.session(WEST).client("ssm")
    assert client.meta.endpoint_url == moto.endpoint
    assert moto.endpoint.startswith("http://localhost:")


def test_refresh_two_regions_writes_each_regions_own_image(moto: Moto, brctl: Run, lockfile: Path) -> None:
    west = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    eu = moto.seed_bottlerocket_release(EU, "aws-k8s-1.33", "x86_64", V1)

    code, out, err = refresh(brctl, "aws-k8s-1.33", "x86_64", WEST, EU)

    assert code == 0, err
    lock = pilot(lockfile)
    assert lock.get(WEST, "aws-k8s-1.33", "x86_64").image_id == west
    assert lock.get(EU, "aws-k8s-1.33", "x86_64").image_id == eu
    assert west != eu
    pin = lock.get(WEST, "aws-k8s-1.33", "x86_64")
    assert pin.image_version == V1
    assert pin.ssm_path == "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id"
    assert pin.previous is None
    assert pin.resolved_at.endswith("Z")
    assert "new" in out
    assert west in out
    assert eu in out
    assert lockfile.read_text() == LockDocument.load(lockfile).dumps()


@pytest.mark.parametrize(
    ("variant", "arch"),
    [
        ("aws-k8s-1.33", "x86_64"),
        ("aws-k8s-1.33", "arm64"),
        ("aws-k8s-1.33-nvidia", "x86_64"),
        ("aws-k8s-1.33-nvidia", "arm64"),
        ("aws-k8s-1.33-fips", "x86_64"),
        ("aws-k8s-1.35-nvidia-fips", "arm64"),
        ("aws-ecs-2", "x86_64"),
        ("aws-ecs-2", "arm64"),
        ("aws-ecs-2-nvidia", "x86_64"),
        ("aws-ecs-3", "arm64"),
        ("aws-ecs-3-fips", "x86_64"),
    ],
)
def test_refresh_variants_and_arches(moto: Moto, brctl: Run, lockfile: Path, variant: str, arch: str) -> None:
    image = moto.seed_bottlerocket_release(EU, variant, arch, V1)

    code, out, err = refresh(brctl, variant, arch, EU, extra=("--json",))

    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True
    assert doc["written"] is True
    assert doc["changes"] == [
        {
            "region": EU,
            "variant": variant,
            "arch": arch,
            "old": None,
            "new": {"image_id": image, "image_version": V1},
            "changed": True,
        }
    ]
    assert pilot(lockfile).get(EU, variant, arch).image_id == image


def test_refresh_defaults_region_from_environment(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "arm64", V1)  # AWS_DEFAULT_REGION is us-west-2
    code, _, err = brctl("pins", "refresh", "--variant", "aws-ecs-2", "--arch", "arm64")
    assert code == 0, err
    assert pilot(lockfile).regions() == (WEST,)


def test_refresh_refuses_arch_mismatch(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "arm64", V1, image_arch="x86_64")

    code, _out, err = refresh(brctl, "aws-k8s-1.33", "arm64", WEST)

    assert code == 1
    assert "us-west-2" in err
    assert "/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id" in err
    assert "architecture mismatch" in err
    assert "nothing written" in err
    assert not lockfile.exists()


def test_refresh_refuses_parameter_without_image(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1, register=False, image_id="ami-0deadbeefdeadbeef")

    code, _, err = refresh(brctl, "aws-k8s-1.33", "x86_64", WEST)

    assert code == 1
    assert "ami-0deadbeefdeadbeef does not exist" in err
    assert not lockfile.exists()


def test_refresh_refuses_deregistered_image(moto: Moto, brctl: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    moto.deregister_image(WEST, image)

    code, _, err = refresh(brctl, "aws-k8s-1.33", "x86_64", WEST)

    assert code == 1
    assert f"{image} does not exist" in err
    assert not lockfile.exists()


def test_refresh_refuses_missing_parameter(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)  # nothing published for arm64

    code, _, err = refresh(brctl, "aws-k8s-1.33", "arm64", WEST)

    assert code == 1
    assert "/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id: parameter not found" in err


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"owner_alias": None}, "not Amazon"),
        ({"state": "pending"}, "not 'available'"),
        ({"image_name_override": "my-own-image"}, "not bottlerocket-*"),
    ],
)
def test_refresh_refuses_unfit_image(
    moto: Moto, brctl: Run, lockfile: Path, fault: dict[str, object], reason: str
) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "x86_64", V1, **fault)
    code, _, err = refresh(brctl, "aws-ecs-2", "x86_64", WEST)
    assert code == 1
    assert reason in err
    assert not lockfile.exists()


def test_refresh_is_all_or_nothing_across_regions(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    moto.seed_bottlerocket_release(EU, "aws-k8s-1.33", "x86_64", V1)
    assert refresh(brctl, "aws-k8s-1.33", "x86_64", WEST, EU)[0] == 0
    before = lockfile.read_text()
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V2)  # fine
    moto.seed_bottlerocket_release(EU, "aws-k8s-1.33", "x86_64", V2, image_arch="arm64")  # broken

    code, out, err = refresh(brctl, "aws-k8s-1.33", "x86_64", WEST, EU, extra=("--json",))

    assert code == 1
    assert lockfile.read_text() == before
    doc = json.loads(out)
    assert doc["ok"] is False
    assert doc["written"] is False
    assert [f["region"] for f in doc["failures"]] == [EU]
    assert "eu-west-1" in err
    assert "us-west-2" not in err.split("nothing written")[0].replace("resolving", "")


def test_refresh_then_newer_release_keeps_previous_and_rollback_restores(
    moto: Moto, brctl: Run, lockfile: Path
) -> None:
    old = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    assert refresh(brctl, "aws-k8s-1.33", "x86_64", WEST)[0] == 0
    new = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V2)

    code, out, _ = refresh(brctl, "aws-k8s-1.33", "x86_64", WEST)

    assert code == 0
    assert f"{V1} ({old})" in out
    assert f"{V2} ({new})" in out
    assert "updated" in out
    pin = pilot(lockfile).get(WEST, "aws-k8s-1.33", "x86_64")
    assert (pin.image_id, pin.previous and pin.previous.image_id) == (new, old)

    # Same image again: no churn (resolved_at unchanged, file unchanged).
    text = lockfile.read_text()
    assert refresh(brctl, "aws-k8s-1.33", "x86_64", WEST)[0] == 0
    assert lockfile.read_text() == text

    code, out, _ = brctl(
        "pins", "rollback", "--region", WEST, "--variant", "aws-k8s-1.33", "--arch", "x86_64", "--json"
    )
    assert code == 0
    assert json.loads(out)["new"] == {"image_id": old, "image_version": V1}
    rolled = pilot(lockfile).get(WEST, "aws-k8s-1.33", "x86_64")
    assert rolled.image_id == old
    assert rolled.previous is not None
    assert rolled.previous.image_id == new

    # A second rollback rolls forward again.
    assert brctl("pins", "rollback", "--region", WEST, "--variant", "aws-k8s-1.33", "--arch", "x86_64")[0] == 0
    assert pilot(lockfile).get(WEST, "aws-k8s-1.33", "x86_64").image_id == new


def test_rollback_without_history_is_a_usage_error(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "x86_64", V1)
    assert refresh(brctl, "aws-ecs-2", "x86_64", WEST)[0] == 0
    code, _, err = brctl("pins", "rollback", "--region", WEST, "--variant", "aws-ecs-2", "--arch", "x86_64")
    assert code == 2
    assert "previous" in err
    assert "--release" in err


def test_refresh_specific_release(moto: Moto, brctl: Run, lockfile: Path) -> None:
    old = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "arm64", V1)
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "arm64", V2)  # now latest

    code, _, err = refresh(brctl, "aws-k8s-1.33", "arm64", WEST, extra=("--release", "1.50.0"))

    assert code == 0, err
    pin = pilot(lockfile).get(WEST, "aws-k8s-1.33", "arm64")
    assert (pin.image_id, pin.image_version) == (old, V1)
    assert pin.ssm_path == "/aws/service/bottlerocket/aws-k8s-1.33/arm64/1.50.0/image_id"


def test_dry_run_writes_nothing(moto: Moto, brctl: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-ecs-3", "x86_64", V1)
    code, out, _ = refresh(brctl, "aws-ecs-3", "x86_64", WEST, extra=("--dry-run",))
    assert code == 0
    assert "not written" in out
    assert not lockfile.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--variant", "aws-k8s-1.99", "--arch", "x86_64"), "--variant: got 'aws-k8s-1.99'"),
        (("--variant", "aws-ecs-1", "--arch", "x86_64"), "retired"),
        (("--variant", "aws-ecs-1-nvidia", "--arch", "x86_64"), "1.43.x"),
        (("--variant", "aws-k8s-1.33", "--arch", "aarch64"), "--arch: got 'aarch64'"),
        (("--variant", "aws-k8s-1.33", "--arch", "x86_64", "--release", "1.50"), "--release: got '1.50'"),
        (("--variant", "aws-k8s-1.33", "--arch", "x86_64", "--release", "v1.50.0"), "leading 'v'"),
        (("--variant", "aws-k8s-1.33", "--arch", "x86_64", "--region", "mars-1"), "--region: got 'mars-1'"),
        (("--arch", "x86_64"), "--variant"),
    ],
)
def test_usage_errors_exit_2(moto: Moto, brctl: Run, lockfile: Path, argv: tuple[str, ...], message: str) -> None:
    code, out, err = brctl("pins", "refresh", *argv)
    assert code == 2
    assert message in err
    assert out == ""
    assert not lockfile.exists()


def test_show_table_and_json(moto: Moto, brctl: Run) -> None:
    image = moto.seed_bottlerocket_release(EU, "aws-ecs-2", "arm64", V1)
    assert refresh(brctl, "aws-ecs-2", "arm64", EU)[0] == 0

    code, out, _ = brctl("pins", "show")
    assert code == 0
    assert image in out
    assert "aws-ecs-2/arm64" in out

    code, out, _ = brctl("pins", "show", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["pins"][0]["image_id"] == image
    assert doc["pins"][0]["region"] == EU


def test_show_without_lockfile_is_usage_error(moto: Moto, brctl: Run) -> None:
    code, _, err = brctl("pins", "show")
    assert code == 2
    assert "brctl pins refresh" in err


def test_verify_ok_then_deregistered_then_mismatched(moto: Moto, brctl: Run, lockfile: Path) -> None:
    west = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    eu = moto.seed_bottlerocket_release(EU, "aws-k8s-1.33", "x86_64", V1)
    assert refresh(brctl, "aws-k8s-1.33", "x86_64", WEST, EU)[0] == 0
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V2)  # latest moves on: not a failure

    code, out, err = brctl("pins", "verify", "--json")
    assert code == 0, err
    results = json.loads(out)["results"]
    assert all(r["ok"] for r in results)
    assert {r["region"]: r["newer_available"] for r in results} == {WEST: True, EU: False}

    moto.deregister_image(EU, eu)
    code, out, err = brctl("pins", "verify")
    assert code == 1
    assert f"channel pilot: eu-west-1 aws-k8s-1.33/x86_64: image {eu} does not exist" in err

    # Hand-edited lockfile: the pinned release's parameter names another image.
    text = lockfile.read_text().replace(eu, "ami-0123456789abcdef0")
    lockfile.write_text(text)
    code, out, err = brctl("pins", "verify", "--region", EU, "--json")
    assert code == 1
    (result,) = json.loads(out)["results"]
    assert any(
        r.startswith("mismatch: /aws/service/bottlerocket/aws-k8s-1.33/x86_64/1.50.0/image_id")
        for r in result["reasons"]
    )
    assert west not in out


def test_verify_arch_mismatch(moto: Moto, brctl: Run, lockfile: Path) -> None:
    arm = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "arm64", V1)
    x86 = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    assert refresh(brctl, "aws-k8s-1.33", "arm64", WEST)[0] == 0
    lockfile.write_text(lockfile.read_text().replace(arm, x86))  # an arm64 pin pointing at an x86_64 image
    code, _, err = brctl("pins", "verify")
    assert code == 1
    assert "architecture mismatch" in err
    assert "mismatch: /aws/service/bottlerocket/aws-k8s-1.33/arm64/1.50.0/image_id" in err


def test_verify_catches_the_committed_example_pins(moto: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    committed = Path(__file__).resolve().parents[2] / "bottlerocket.lock.json"
    code = main(["pins", "verify", "--lockfile", str(committed), "--json"])
    out, _ = capsys.readouterr()
    assert code == 1
    results = json.loads(out)["results"]
    doc = LockDocument.load(committed)
    per_set = 12  # 3 regions x (aws-k8s-1.33, aws-ecs-2) x 2 arches
    assert len(results) == per_set * max(len(doc.channel_names), 1)  # every channel verified (v1: the one set)
    assert not any(r["ok"] for r in results)


# --- [tool.brctl] project table ---------------------------------------------------------------------------------------
def _project(tmp_path: Path, table: str) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(f'[project]\nname = "app"\n\n{table}')
    return app / "pyproject.toml"


def test_lockfile_defaults_to_the_project_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = _project(tmp_path, '[tool.brctl]\nlockfile = "images/br.lock.json"\n')
    (pyproject.parent / "images").mkdir()
    (pyproject.parent / "images" / "br.lock.json").write_text(Lockfile.empty().dumps())
    monkeypatch.chdir(tmp_path)  # relative paths in the table start at the pyproject's folder, not the cwd
    assert main(["--project", str(pyproject), "pins", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lockfile"] == str(pyproject.parent / "images" / "br.lock.json")
    # the option also follows the command, and the table is found from the working directory up
    assert main(["pins", "show", "--json", "--project", str(pyproject)]) == 0
    capsys.readouterr()
    monkeypatch.chdir(pyproject.parent / "images")
    assert main(["pins", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lockfile"] == str(pyproject.parent / "images" / "br.lock.json")


def test_explicit_lockfile_wins_and_no_table_keeps_the_old_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = _project(tmp_path, '[tool.brctl]\nlockfile = "missing.json"\n')
    mine = tmp_path / "mine.json"
    mine.write_text(Lockfile.empty().dumps())
    assert main(["--project", str(pyproject), "pins", "show", "--json", "--lockfile", str(mine)]) == 0
    assert json.loads(capsys.readouterr().out)["lockfile"] == str(mine)
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "bottlerocket.lock.json").write_text(Lockfile.empty().dumps())
    monkeypatch.chdir(bare)
    assert main(["pins", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lockfile"] == "bottlerocket.lock.json"


def test_bad_project_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = _project(tmp_path, '[tool.brctl]\nlock-file = "x.json"\n')
    assert main(["--project", str(pyproject), "pins", "show"]) == 2
    assert "[tool.brctl] lock-file" in capsys.readouterr().err
    assert main(["--project", str(tmp_path / "nope.toml"), "pins", "show"]) == 2
    assert "--project" in capsys.readouterr().err


# --- [tool.brctl] channels, channel, soak, nodes-stack --------------------------------------------------------------
def _table(text: str) -> object:
    import tomllib

    from constructs_br.cli._project import from_table

    return from_table(tomllib.loads(text)["tool"]["brctl"], "pyproject.toml")


def test_channel_keys_parse_and_default() -> None:
    from datetime import timedelta

    from constructs_br.cli._project import ProjectConfig

    cfg = _table(
        '[tool.brctl]\nstages = ["dev", "prod"]\nchannels = ["dev", "prod"]\nsoak = { dev = "30m" }\n'
        'nodes-stack = "Br{Stage}Nodes"\noperators-stack = "Br{Stage}Operators"\n'
    )
    assert isinstance(cfg, ProjectConfig)
    assert cfg.channels == ("dev", "prod")
    assert (cfg.soak_time("dev"), cfg.soak_time("prod")) == (timedelta(minutes=30), timedelta(0))
    assert cfg.channel_name("prod") == "prod"
    assert cfg.stage_of_channel("dev") == "dev"
    assert cfg.stage_of_channel("qa") is None
    assert cfg.nodes_stack_name("prod") == "BrProdNodes"
    assert ProjectConfig().nodes_stack_name("pilot") == "PilotNodes"
    assert cfg.operators_stack_name("prod") == "BrProdOperators"
    assert ProjectConfig().operators_stack_name("pilot") == "PilotOperators"
    assert ProjectConfig().channels == ("pilot", "canary", "production")
    assert ProjectConfig(stages=("dev", "prod")).channels == ("dev", "prod")  # default channels: the stages
    custom = ProjectConfig(stages=("a", "b"), channels=("ch-a", "ch-b"), channel="ch-{stage}")
    assert (custom.channel_name("b"), custom.stage_of_channel("ch-a")) == ("ch-b", "a")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('soak = { pilot = "2 days" }', "[tool.brctl] soak.pilot: got '2 days'; allowed: a whole number and a unit"),
        ('soak = { pilot = "24" }', "[tool.brctl] soak.pilot: got '24'; allowed: a whole number and a unit"),
        ('soak = { qa = "1h" }', "[tool.brctl] soak.qa: got '1h'; allowed: a soak time for one of channels"),
        ('soak = "24h"', "[tool.brctl] soak: got '24h'; allowed: a table"),
        ("channels = []", "[tool.brctl] channels: got []; allowed: one or more channel names"),
        ('channels = ["pilot", "Prod"]', "[tool.brctl] channels: got 'Prod'; allowed: a channel name"),
        ('channels = ["pilot", "pilot"]', "allowed: each channel once"),
        ('channels = "pilot"', "[tool.brctl] channels: got 'pilot'; allowed: a list of channel names"),
        ('channel = "{stage}-x"', "[tool.brctl] channel: got '{stage}-x'; allowed: a template naming one of channels"),
        ('channel = "{nope}"', "[tool.brctl] channel: got '{nope}'; allowed: a template using only"),
        ('nodes-stack = ""', "[tool.brctl] nodes-stack: got ''; allowed: a non-empty string"),
        ('operators-stack = ""', "[tool.brctl] operators-stack: got ''; allowed: a non-empty string"),
        ("operators-stack = 3", "[tool.brctl] operators-stack: got 3; allowed: a non-empty string"),
    ],
)
def test_bad_channel_keys_are_named(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _table(f'[tool.brctl]\nstages = ["pilot", "canary", "production"]\n{body}\n')
    assert message in str(err.value)


def test_stage_lockfile_reads_the_stage_channel_or_the_legacy_set(tmp_path: Path) -> None:
    from constructs_br.cli._project import ProjectConfig, stage_lockfile
    from tests.unit.images.test_channels import make_pin

    cfg = ProjectConfig(stages=("pilot", "canary", "production"))
    path = tmp_path / "l.json"
    legacy = Lockfile([make_pin()])
    legacy.save(path)
    assert stage_lockfile(cfg, path, "production") == legacy
    doc = LockDocument.loads(legacy.dumps()).migrate(["pilot", "canary"])
    doc = doc.with_channel("pilot", Lockfile([make_pin(n=1, pinned_at="2026-01-02T00:00:00Z")]))
    doc.save(path)
    assert stage_lockfile(cfg, path, "pilot").get(WEST, "aws-k8s-1.33", "x86_64").image_id == make_pin(n=1).image_id
    assert stage_lockfile(cfg, path, "canary").get(WEST, "aws-k8s-1.33", "x86_64").image_id == make_pin().image_id
    with pytest.raises(ConfigError) as err:
        stage_lockfile(cfg, path, "production")
    assert str(err.value).startswith("channel of stage production: got 'production'; allowed: a channel of this")
    with pytest.raises(ConfigError, match="--stage: got 'qa'"):
        stage_lockfile(cfg, path, "qa")
