"""The standalone HTML report and the ``phasesim report`` command."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pandas as pd
import pytest

from phasesim.cli import report as report_cli
from phasesim.errors import PhasesimError
from phasesim.eventlog.schema import validate_log
from phasesim.report import METHOD_HTML, render_report, write_report

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")
EVIL = "<script>alert(1)</script>"


def make_log(n_releases: int = 3, name: str = "approve") -> pd.DataFrame:
    """n weekly releases of build.compile -> qa.<name> -> prod.push (+ a planned end)."""
    rows = []
    for i in range(n_releases):
        t = T0 + pd.Timedelta(days=7 * i)
        for phase, act, start, end in (
            ("build", "compile", 0, 1),
            ("qa", name, 1, 3 + i),
            ("prod", "push", 3 + i, 4 + i),
        ):
            rows.append(
                {
                    "run": 0,
                    "release_id": f"r{i}",
                    "phase_id": phase,
                    "activity_id": act,
                    "activity_type": "manual",
                    "status": "succeeded",
                    "attempt": 1,
                    "start": t + pd.Timedelta(hours=start),
                    "end": t + pd.Timedelta(hours=end),
                    "planned_start": t + pd.Timedelta(hours=start),
                    "planned_end": t + pd.Timedelta(hours=start + 1),
                }
            )
    return validate_log(pd.DataFrame(rows))


def test_report_is_one_self_contained_file(tmp_path: Path) -> None:
    out = write_report(make_log(), tmp_path / "sub" / "report.html", n_boot=50)
    assert out == tmp_path / "sub" / "report.html"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # plots embedded, nothing fetched, no scripts
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', text)) >= 7
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text
    for heading in (
        "Bottlenecks",
        "Phase durations",
        "Trends",
        "Delivery",
        "Planned and actual",
        "Method",
        "Data audit",
    ):
        assert f"<h2>{heading}" in text
    assert METHOD_HTML.strip()[:40] in text
    # every hour of these releases is work (nothing waits): no avoidable delay to name
    assert "Biggest avoidable delay<b>n/a</b>" in text
    assert "The biggest avoidable delay is" not in text


def test_log_text_and_title_are_escaped(tmp_path: Path) -> None:
    log = make_log(name=EVIL)
    log["phase_id"] = log["phase_id"].replace({"prod": EVIL})
    log["release_id"] = log["release_id"].replace({"r2": EVIL})
    log.attrs["audit"] = [
        {
            "rule": "duplicate",
            "count": 1,
            "action": "dropped",
            "examples": [EVIL],
            "description": f"rows like {EVIL}",
        }
    ]
    text = write_report(log, tmp_path / "r.html", title=f"<b>{EVIL}</b>", n_boot=20).read_text(
        encoding="utf-8"
    )
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;" in text
    # the audit table, the phase tables and the latest release heading all carry it escaped
    assert text.count("&lt;script&gt;") >= 5


def test_report_without_audit_or_activities_or_plans() -> None:
    log = make_log().drop(columns=["activity_id", "planned_start", "planned_end"])
    text = render_report(log, n_boot=0)
    assert "carries no audit" in text
    assert "Planned and actual" not in text
    assert "Activities on the critical path" not in text


def test_report_with_a_blueprint_and_in_progress_release() -> None:
    log = make_log()
    log.loc[log.index[-1], "end"] = pd.NaT
    log.loc[log.index[-1], "status"] = "in_progress"
    bp = SimpleNamespace(
        graph=nx.DiGraph(), phase_graph=nx.DiGraph([("build", "qa"), ("qa", "prod")])
    )
    text = render_report(log, blueprint=bp, n_boot=10)
    assert "with a blueprint for dependencies" in text
    assert "3 releases (2 succeeded, 1 in progress)" in text
    assert "Latest completed release: r1" in text


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="phasesim")
    sub = parser.add_subparsers(dest="command")
    report_cli.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_report_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "history.csv"
    make_log().to_csv(source, index=False)
    target = tmp_path / "report.html"
    code = _run(["report", str(source), "-o", str(target), "--boot", "20", "--title", "Weekly"])
    assert code == 0
    assert target.exists()
    assert "<title>Weekly</title>" in target.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {target}")


def test_cli_report_reads_several_logs_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = make_log()
    releases = sorted(full["release_id"].unique())
    first = full.loc[full["release_id"].isin(releases[:2])]
    rest = full.loc[~full["release_id"].isin(releases[:2])]
    assert len(first) and len(rest)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    first.to_csv(a, index=False)
    rest.to_csv(b, index=False)
    target = tmp_path / "report.html"
    code = _run(["report", str(a), str(b), "-o", str(target), "--boot", "0"])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {target} ({len(full)} rows;")
    assert f"{len(releases)} releases" in target.read_text(encoding="utf-8")


def test_cli_report_with_format_and_blueprint(tmp_path: Path) -> None:
    source = tmp_path / "history.parquet"
    make_log().to_parquet(source, index=False)
    bp = Path(__file__).resolve().parents[1] / "data" / "blueprints" / "harness-system-release.yaml"
    target = tmp_path / "r.html"
    code = _run(
        [
            "report",
            str(source),
            "--format",
            "parquet",
            "--blueprint",
            str(bp),
            "-o",
            str(target),
            "--boot",
            "0",
        ]
    )
    assert code == 0
    assert "with a blueprint" in target.read_text(encoding="utf-8")


def test_cli_report_problem_is_a_phasesim_error(tmp_path: Path) -> None:
    source = tmp_path / "broken.csv"
    source.write_text("nothing,useful\n1,2\n", encoding="utf-8")
    with pytest.raises(PhasesimError):
        _run(["report", str(source), "-o", str(tmp_path / "r.html")])


def test_empty_log_is_a_log_error() -> None:
    from phasesim.errors import LogError
    from phasesim.eventlog.schema import empty_log

    with pytest.raises(LogError, match="no release"):
        render_report(empty_log())
