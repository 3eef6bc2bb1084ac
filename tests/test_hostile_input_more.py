"""Hostile and odd input (issue 14), second part: horizon, log cells, for-each, rework,
messages and a fuzz test. Every case asserts a located PhasesimError or a valid result."""

from __future__ import annotations

import textwrap

from phasesim import load_blueprint, simulate

# -- a goto to the gate's own phase ---------------------------------------------------------

OWN_PHASE = textwrap.dedent("""\
    process:
      id: p
      phases:
        - phase:
            id: qa
            activities:
              - activity: {id: a, type: automated, duration: 1h}
              - activity: {id: b, type: automated, duration: 2h}
              - activity: {id: g, type: manual, depends-on: [a],
                           approval: {wait: 3h, reject: {probability: P, goto: qa}}}
              - activity: {id: d, type: automated, duration: 4h, depends-on: [g]}
    """)


def _timeline(result) -> list[tuple[str, str, int, str, str]]:
    log = result.log.sort_values(["start", "activity_id"], kind="stable")
    return [(r.activity_id, r.status, int(r.attempt), r.start.strftime("%d %H:%M"),
             r.end.strftime("%d %H:%M")) for r in log.itertuples()]


def test_goto_own_phase_reworks_up_to_the_gate_only():
    from phasesim.simulation.compiled import compile_blueprint

    bp = load_blueprint(OWN_PHASE.replace("P", "0.6"))
    model = compile_blueprint(bp)
    gate = next(n for n in model.nodes if n.activity_id == "g")
    # a and b rerun; the gate's descendant d does not (it waits for the gate to pass)
    assert sorted(model.nodes[i].activity_id for i in gate.reject_block) == ["a", "b"]
    # seed 6 rejects once: a 1h, b 2h, then the 3h gate from 10:00; rework at 13:00;
    # the gate waits for the whole block (b ends 15:00), passes at 18:00; d 18-22
    result = simulate(bp, releases=1, runs=1, seed=6, start="2026-01-05 09:00",
                      progress=False)
    assert _timeline(result) == [
        ("a", "succeeded", 1, "05 09:00", "05 10:00"),
        ("b", "succeeded", 1, "05 09:00", "05 11:00"),
        ("g", "rejected", 1, "05 10:00", "05 13:00"),
        ("a", "succeeded", 2, "05 13:00", "05 14:00"),
        ("b", "succeeded", 2, "05 13:00", "05 15:00"),
        ("g", "succeeded", 2, "05 15:00", "05 18:00"),
        ("d", "succeeded", 1, "05 18:00", "05 22:00"),
    ]


def test_goto_own_phase_never_runs_the_descendant_before_the_gate_passes():
    bp = load_blueprint(OWN_PHASE.replace("P", "1.0"))
    result = simulate(bp, releases=1, runs=1, seed=1, start="2026-01-05 09:00",
                      max_rework=1, progress=False)
    # always rejected: one rework, the second rejection reaches the cap; d never runs
    assert _timeline(result) == [
        ("a", "succeeded", 1, "05 09:00", "05 10:00"),
        ("b", "succeeded", 1, "05 09:00", "05 11:00"),
        ("g", "rejected", 1, "05 10:00", "05 13:00"),
        ("a", "succeeded", 2, "05 13:00", "05 14:00"),
        ("b", "succeeded", 2, "05 13:00", "05 15:00"),
        ("g", "rejected", 2, "05 15:00", "05 18:00"),
    ]
    assert result.releases["status"].tolist() == ["aborted"]
