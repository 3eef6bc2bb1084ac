"""The CLI's blueprint commands: exit codes, messages, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from phasesim.cli import main

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "data" / "blueprints" / "harness-system-release.yaml"


def test_validate_ok(capsys: pytest.CaptureFixture[str]):
    assert main(["validate", str(HARNESS), str(ROOT / "data/blueprints/build-phase.yaml")]) == 0
    out = capsys.readouterr().out
    assert f"ok   {HARNESS}: 9 phases, 30 activities" in out


def test_validate_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HARNESS.read_text()
                   .replace("depends-on: [cut_branches]", "depends-on: [cut_branch]")
                   .replace("capacity: 2, calendar: business}\n    Developers",
                            "capacity: 2, calendar: busines}\n    Developers"))
    assert main(["validate", str(bad), str(HARNESS)]) == 1
    captured = capsys.readouterr()
    assert f"FAIL {bad}: 2 problems" in captured.out
    assert "unknown activity 'cut_branch' (did you mean 'cut_branches'?)" in captured.out
    assert "unknown calendar 'busines' (did you mean 'business'?)" in captured.out
    assert f"{bad}:" in captured.out
    assert "1 of 2 file(s) invalid" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_validate_with_inputs(capsys: pytest.CaptureFixture[str]):
    assert main(["validate", str(HARNESS), "--input", "services=[api, web]"]) == 0
    assert "26 activities" in capsys.readouterr().out
    assert main(["validate", str(HARNESS), "--input", "servcies=[api]"]) == 1
    assert "did you mean 'services'" in capsys.readouterr().out


def test_show_prints_phases_and_critical_path(capsys: pytest.CaptureFixture[str]):
    assert main(["show", str(HARNESS)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Harness System Release (harness_system_release)")
    assert ("prod_2: Prod 2 Deployment  [after prod_1; not before Wed 09:00 (week 3); "
            "uses prod-2]") in out
    assert "hotfix: Emergency Hotfix  [rollback]" in out
    assert "QA: capacity 2, calendar business" in out
    assert "business: Mon-Fri 09:00-17:00 America/Los_Angeles" in out
    assert "critical path:" in out
    assert "branch_cut.cut_branches -> branch_cut.build_artifacts" in out


def test_show_missing_file_is_a_message(capsys: pytest.CaptureFixture[str]):
    assert main(["show", "nothere.yaml"]) == 1
    err = capsys.readouterr().err
    assert "nothere.yaml: file not found" in err
    assert "Traceback" not in err


def test_schema_is_json_with_every_object():
    out = subprocess.run([sys.executable, "-m", "phasesim", "schema"], capture_output=True,
                         text=True, check=True).stdout
    schema = json.loads(out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"process", "phase", "activity", "approval", "failure", "calendar", "team",
            "environment"} <= set(schema["$defs"])
    assert "not-before" in schema["$defs"]["phase"]["properties"]


def test_schema_validates_bundled_blueprints():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    from phasesim.blueprint import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    for path in sorted((ROOT / "data" / "blueprints").glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        errors = list(validator.iter_errors(data))
        assert not errors, (path, [e.message for e in errors[:3]])


def test_console_script_usage_error_exit_code():
    proc = subprocess.run([sys.executable, "-m", "phasesim", "nosuchcommand"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
