"""The report reads well at scale: tables in words with units and a row limit, counts
explained where they stand, n/a for what the log cannot tell, and nothing wider than a
1280 px page in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from phasesim import read_log
from phasesim._report_tables import present, table_html
from phasesim.report import render_report

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "data" / "logs" / "harness-history.csv"
T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)


def wide_log(n_acts: int = 60, n_rel: int = 3) -> pd.DataFrame:
    """A CI-like log written without phase or status columns: ``n_acts`` jobs one after
    another in each of ``n_rel`` releases (job k takes k+1 minutes)."""
    rows = []
    for r in range(n_rel):
        t = T0 + pd.Timedelta(days=r)
        for k in range(n_acts):
            d = pd.Timedelta(minutes=k + 1)
            rows.append({"case": f"build-{r}", "activity": f"job_{k:03d}_compile_and_test",
                         "start": t.isoformat(), "end": (t + d).isoformat()})
            t += d
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ci.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        return read_log(path)


@pytest.fixture(scope="module")
def wide_html() -> str:
    return render_report(wide_log(), n_boot=0)


@pytest.fixture(scope="module")
def history_html() -> str:
    return render_report(read_log(HISTORY), n_boot=0)


def test_present_names_units_intervals_and_no_minus_zero() -> None:
    table = pd.DataFrame({"phase_id": ["qa", "prod"], "rank": [1, 2], "rank_low": [1, 1],
                          "rank_high": [1, 3], "critical_share": [0.5, 0.004],
                          "critical_share_low": [0.25, 0.0], "critical_share_high": [0.75, 0.01],
                          "mean_h": [36.0, -0.0001], "small_sample": [False, True]})
    out = present(table, "d")
    assert list(out.columns) == ["phase", "rank (range)", "share of lead time (95% interval)",
                                 "mean (days)"]
    assert out.values.tolist() == [["qa", "1", "50% (25% to 75%)", "1.50"],
                                   ["prod *", "2 (1–3)", "0.4% (0.0% to 1.0%)", "0.00"]]
    hours = present(table[["phase_id", "mean_h"]], "h")
    assert hours.columns.tolist() == ["phase", "mean (hours)"]
    assert hours["mean (hours)"].tolist() == ["36.0", "0.0"]
    # no interval columns: the name does not promise one
    alone = present(pd.DataFrame({"critical_share": [0.27]}), "d")
    assert alone.columns.tolist() == ["share of lead time"]
    assert alone.values.tolist() == [["27%"]]
    # CI pipelines take minutes: a quarter of an hour is 15.0 minutes
    minutes = present(pd.DataFrame({"mean_h": [0.25], "period": pd.to_datetime(
        ["2026-02-01"], utc=True)}), "min")
    assert minutes.values.tolist() == [["15.0", "2026-02-01"]]
    assert minutes.columns.tolist() == ["mean (minutes)", "period"]


def test_every_table_has_a_row_limit_that_says_how_many_more() -> None:
    frame = pd.DataFrame({"phase_id": [f"p{i}" for i in range(30)], "count": range(30)})
    text = table_html(frame, "h", what="phases")
    assert text.count("<tr") == 26  # header and 25 rows
    assert "The first 25 of 30 phases; and 5 more not shown." in text
    assert text.startswith('<div class="scroll">')


def test_wide_log_without_phases_or_status(wide_html: str) -> None:
    assert wide_log(2, 1).attrs["status_given"] is False
    assert read_log(HISTORY).attrs["status_given"] is True
    # each job is its own phase: no activity tables repeating the phase tables
    assert "Activities on the critical path" not in wide_html
    assert "<h3>Activities</h3>" not in wide_html
    # no status column: the change failure rate is unknown, not 0%
    assert "Change failure rate<b>n/a (no status in the log)</b>" in wide_html
    assert "change failure" not in wide_html.split("<h2>Delivery</h2>")[1].split("<h2>")[0] \
        .split("</p>", 1)[1]
    # 60 phases: the tables stop at 25 and say so
    assert "The first 25 of 60 phases; and 35 more not shown." in wide_html
    # lead times are under two days: hours everywhere (cards and tables)
    assert "mean (hours)" in wide_html and "(days)" not in wide_html
    # 3 releases of sum(1..60) = 1830 min = 30.5 h
    assert "Median lead time (3 completed)<b>30.5 h</b>" in wide_html
    assert "Ranked over 3 of 3 completed releases." in wide_html


def test_counts_that_differ_are_explained_where_they_stand(history_html: str) -> None:
    # the bundled history: 58 releases, 56 completed, 8 of them hotfix-only, 2 running
    assert ("58 releases (52 succeeded, 4 succeeded after rollback, 2 in progress)"
            in history_html)
    assert ("Ranked over 48 of 56 completed releases: 8 hotfix-only releases left out "
            "(all of their lead time is the hotfix; they count in the delivery figures); "
            "2 in progress have no lead time yet.") in history_html
    assert "Median lead time (56 completed)<b>21.1 days</b>" in history_html
    assert "mean (days)" in history_html and "(hours)" not in history_html
    assert "Change failure rate<b>8%</b>" in history_html


def _probe(html_text: str, tmp_path: Path) -> dict[str, object]:
    """Open the page in headless Chromium at 1280 px and read what a script measured:
    the page's scroll width against its client width, elements that stick out (outside
    the scrolling table wrappers), and how many wrappers scroll."""
    probe = """<script>
window.addEventListener('load', () => {
  const d = document.documentElement, w = d.clientWidth, wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.scroll') && !el.classList.contains('scroll')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5) wide.push(el.tagName + ':' + Math.round(r.right));
  }
  const scrolling = [...document.querySelectorAll('.scroll')]
    .filter(e => e.scrollWidth > e.clientWidth + 0.5).length;
  const out = document.createElement('pre'); out.id = 'layout-probe';
  out.textContent = JSON.stringify({scrollWidth: d.scrollWidth, clientWidth: w,
                                    wide: wide.slice(0, 10), scrolling: scrolling});
  document.body.appendChild(out);
});
</script>"""
    page = tmp_path / "probe.html"
    page.write_text(html_text.replace("</body>", probe + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1000",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (/usr/bin/chromium) is absent")
@pytest.mark.parametrize("which", ["wide_html", "history_html"])
def test_nothing_overflows_a_1280_px_page(which: str, request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    result = _probe(request.getfixturevalue(which), tmp_path)
    assert result["wide"] == []
    assert result["scrollWidth"] == result["clientWidth"]
    assert 1200 < int(result["clientWidth"]) <= 1280  # type: ignore[call-overload]


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (/usr/bin/chromium) is absent")
def test_the_probe_sees_an_overflowing_table(tmp_path: Path) -> None:
    # a page with a 3000 px table outside any wrapper: the probe must catch it
    page = ('<!DOCTYPE html><html><body><table><tr><td style="min-width:3000px">x</td>'
            "</tr></table></body></html>")
    result = _probe(page, tmp_path)
    assert int(result["scrollWidth"]) > 3000  # type: ignore[call-overload]
    assert result["wide"]
