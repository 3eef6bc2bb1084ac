"""One vocabulary for outcomes (phasesim.outcomes): the simulator and the log agree."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from phasesim import lead_times, load_blueprint, simulate
from phasesim.outcomes import OUTCOMES, outcomes

START = pd.Timestamp("2026-03-02 10:00", tz="UTC")
FAIL = """\
    process:
      id: p
      phases:
        - phase:
            id: deploy
            activities:
              - activity:
                  id: push
                  type: automated
                  duration: 1h
                  failure: {probability: %s, retries: %d, on-failure: %s}
              - activity: {id: verify, type: automated, duration: 1h, depends-on: [push]}
        - phase:
            id: rollback
            rollback: true
            %s
            activities:
              - activity: {id: revert, type: automated, duration: 2h}
    """


def run(text: str, releases: int = 1, **kwargs: object):
    options = {"cadence": "daily", "start": START, "runs": 1, "seed": 1, "progress": False}
    options.update(kwargs)
    return simulate(load_blueprint(textwrap.dedent(text)), releases=releases,
                    **options)  # type: ignore[arg-type]


def same_in_log(result) -> list[str]:
    """The outcomes lead_times() derives from the simulated log alone."""
    table = lead_times(result.log).set_index(["run", "release_id"])
    rel = result.releases.set_index(["run", "release_id"])
    return table["outcome"].reindex(rel.index).astype(str).tolist()


@pytest.mark.parametrize(
    ("p", "retries", "on_failure", "extra", "expected"),
    [
        (0.0, 0, "abort", "", "succeeded"),
        # push fails 3 times, nothing to recover: the release failed (not aborted)
        (1.0, 2, "abort", "", "failed"),
        # rolled back and not resumed: failed
        (1.0, 0, "rollback", "", "failed"),
    ],
)
def test_simulated_outcome_matches_the_log(p: float, retries: int, on_failure: str,
                                           extra: str, expected: str):
    result = run(FAIL % (p, retries, on_failure, extra))
    assert result.releases["outcome"].tolist() == [expected]
    assert same_in_log(result) == [expected]
    summary = result.summary()
    shares = {name: summary.loc[f"share {name.replace('_', ' ')}", "value"]
              for name in OUTCOMES[:-1]}
    assert shares[expected] == 1.0
    assert sum(shares.values()) == pytest.approx(1.0)
    # failed releases have a lead time: push 1 h x 3; push 1 h + revert 2 h
    if expected == "failed":
        assert result.lead_times.tolist() == pytest.approx([3.0])


def test_resumed_rollback_is_succeeded_after_rollback():
    result = run(FAIL % (0.5, 0, "rollback", "resume: true"), releases=30)
    reverted = result.log.loc[result.log["activity_id"] == "revert", "release_id"].unique()
    expected = np.where(result.releases["release_id"].isin(reverted),
                        "succeeded_after_rollback", "succeeded").tolist()
    assert 5 < len(reverted) < 25
    assert result.releases["outcome"].tolist() == expected
    assert same_in_log(result) == expected
    summary = result.summary()
    assert summary.loc["share succeeded after rollback", "value"] == pytest.approx(
        len(reverted) / 30)
    # throughput counts both kinds of success: all 30 went out
    assert (result.releases["outcome"].isin(["succeeded", "succeeded_after_rollback"])).all()


def test_rework_cap_is_aborted_and_left_out_of_lead_times():
    text = """\
        process:
          id: p
          phases:
            - phase:
                id: gate
                activities:
                  - activity: {id: check, type: automated, duration: 1h}
                  - activity:
                      id: approve
                      type: manual
                      depends-on: [check]
                      approval: {wait: 30m, reject: {probability: 1.0, goto: check}}
        """
    result = run(text, releases=2, max_rework=2)
    assert result.releases["outcome"].tolist() == ["aborted", "aborted"]
    # the log alone cannot tell that the simulator gave up: its last row was rejected
    assert same_in_log(result) == ["failed", "failed"]
    assert result.lead_times.empty
    assert result.summary().loc["share aborted", "value"] == 1.0


def history() -> pd.DataFrame:
    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    rows = [
        # r1: plain success
        ("r1", "build", "succeeded", "2026-01-05 00:00", "2026-01-05 01:00"),
        ("r1", "prod", "succeeded", "2026-01-05 01:00", "2026-01-05 02:00"),
        # r2: prod failed, a hotfix ended last: the change failed (status says succeeded)
        ("r2", "build", "succeeded", "2026-01-06 00:00", "2026-01-06 01:00"),
        ("r2", "prod", "failed", "2026-01-06 01:00", "2026-01-06 02:00"),
        ("r2", "hotfix", "succeeded", "2026-01-06 02:00", "2026-01-06 04:00"),
        # r3: prod failed, hotfix, prod again succeeded: succeeded after rollback
        ("r3", "prod", "failed", "2026-01-07 01:00", "2026-01-07 02:00"),
        ("r3", "hotfix", "succeeded", "2026-01-07 02:00", "2026-01-07 03:00"),
        ("r3", "prod", "succeeded", "2026-01-07 03:00", "2026-01-07 04:00"),
        # r4: cancelled
        ("r4", "build", "succeeded", "2026-01-08 00:00", "2026-01-08 01:00"),
        ("r4", "prod", "aborted", "2026-01-08 01:00", "2026-01-08 02:00"),
        # r5: a job failed and the other was cancelled at the same moment: failed
        ("r5", "build", "failed", "2026-01-09 00:00", "2026-01-09 01:00"),
        ("r5", "docs", "aborted", "2026-01-09 00:30", "2026-01-09 01:00"),
        # r6: still running
        ("r6", "build", "in_progress", "2026-01-10 00:00", None),
        # r7: an ad-hoc hotfix release on its own: judged by itself
        ("r7", "hotfix", "succeeded", "2026-01-11 00:00", "2026-01-11 01:00"),
    ]
    frame = pd.DataFrame(rows, columns=["release_id", "phase_id", "status", "start", "end"])
    frame["start"] = t(*frame["start"])
    frame["end"] = t(*frame["end"])
    return frame


def test_history_outcomes():
    table = lead_times(history()).set_index("release_id")
    assert table["outcome"].to_dict() == {
        "r1": "succeeded", "r2": "failed", "r3": "succeeded_after_rollback",
        "r4": "aborted", "r5": "failed", "r6": "in_progress", "r7": "succeeded"}
    assert table.loc["r2", "status"] == "succeeded"  # what ended last, kept as it was


def test_outcomes_function_rules():
    got = outcomes(["succeeded", "failed", "succeeded", "aborted", "skipped", "succeeded"],
                   open_=[False, False, True, False, False, False],
                   rolled_back=[True, True, False, False, False, False],
                   capped=[False, False, False, False, False, True])
    assert got.tolist() == ["succeeded_after_rollback", "failed", "in_progress", "aborted",
                            "succeeded", "aborted"]


def test_history_lead_time_plot_colours_by_outcome_and_leaves_aborted_out():
    import matplotlib.pyplot as plt

    from phasesim.plotting import plot_lead_time

    fig, ax = plt.subplots()
    plot_lead_time(history(), ax=ax)
    labels = [c.get_label() for c in ax.collections]
    assert labels == ["succeeded", "succeeded after rollback", "failed", "hotfix release"]
    leads = [sorted(np.asarray(c.get_offsets())[:, 1].tolist()) for c in ax.collections]
    # r1 2 h; r3 3 h; r5 1 h and r2 4 h; the ad-hoc hotfix r7 1 h; r4 (aborted) left out
    assert leads == [[2.0], [3.0], [1.0, 4.0], [1.0]]
    plt.close(fig)
