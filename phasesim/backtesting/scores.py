"""Scores of a forecast against what happened: quantile coverage, pinball loss, CRPS, and
distances between a simulated and a real event log.

Every function is a plain formula over numpy arrays or event logs; ``docs/backtest.md``
states each with an example. The log distances follow the measures the process
simulation field reports (Simod, Prosimos: cycle-time, case-arrival and circadian earth
mover's distances and the n-gram distance), computed exactly in one dimension with
:func:`scipy.stats.wasserstein_distance` rather than over binned histograms.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pandas.core.groupby import DataFrameGroupBy
from scipy import stats

__all__ = [
    "case_arrival_emd",
    "circadian_emd",
    "coverage",
    "crps",
    "cycle_time_emd",
    "log_distances",
    "ngram_distance",
    "pinball_loss",
]

_START, _END = "\u25b6", "\u25a0"  # padding marks of an n-gram sequence


def coverage(actual: ArrayLike, forecast: ArrayLike, *,
             confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Share of ``actual`` values at or below their ``forecast`` quantile.

    Returns ``(observed, low, high, n)``: the observed share and its exact
    (Clopper-Pearson) binomial confidence interval. A P80 forecast is calibrated when
    0.8 lies inside ``[low, high]``. NaN pairs are left out of ``n``.

    >>> coverage([1, 2, 3, 4], [2, 2, 2, 2])[0]
    0.5
    """
    a, f = _pairs(actual, forecast)
    n = a.size
    if n == 0:
        return (float("nan"), float("nan"), float("nan"), 0)
    k = int(np.count_nonzero(a <= f))
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return (k / n, float(ci.low), float(ci.high), n)


def pinball_loss(actual: ArrayLike, forecast: ArrayLike, q: float) -> float:
    """Mean pinball (quantile) loss of ``forecast`` as the ``q`` quantile of ``actual``.

    Each pair scores ``q * (y - f)`` when the actual ``y`` lands above the forecast
    ``f``, else ``(1 - q) * (f - y)``: lower is better, 0 is a perfect quantile.

    >>> pinball_loss([10.0], [8.0], 0.8)  # 2 h late on a P80: 0.8 * 2
    1.6
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must lie strictly between 0 and 1, not {q}")
    a, f = _pairs(actual, forecast)
    if a.size == 0:
        return float("nan")
    d = a - f
    return float(np.mean(np.maximum(q * d, (q - 1.0) * d)))


def crps(samples: ArrayLike, actual: float) -> float:
    """Continuous ranked probability score of an ensemble forecast against one outcome.

    ``CRPS = E|X - y| - E|X - X'| / 2`` over the empirical distribution of ``samples``
    (the simulated lead times), in the samples' unit; lower is better, and for a single
    sample it is the absolute error. ``E|X - X'|`` comes from the sorted samples in
    O(n log n): ``2 / n^2 * sum_i (2i - n - 1) x_(i)``.

    >>> crps([1.0, 3.0], 2.0)  # E|X-y| = 1, E|X-X'| = 1
    0.5
    """
    x = np.sort(np.asarray(samples, dtype=float))
    x = x[np.isfinite(x)]
    if x.size == 0 or not np.isfinite(actual):
        return float("nan")
    n = x.size
    spread = 2.0 / n**2 * float(np.dot(2.0 * np.arange(1, n + 1) - n - 1, x))
    return float(np.mean(np.abs(x - actual)) - spread / 2.0)


def _pairs(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length ({a.size} vs {f.size})")
    keep = np.isfinite(a) & np.isfinite(f)
    return a[keep], f[keep]


# --- distances between event logs ----------------------------------------------------

def _cases(log: pd.DataFrame) -> DataFrameGroupBy:
    keys = ["run", "release_id"] if "run" in log.columns else ["release_id"]
    timed = log.dropna(subset=["start", "end"])
    return timed.groupby(keys, sort=False, observed=True)


def _hours(ts: pd.Series) -> np.ndarray:
    """Timestamps as float hours since the epoch."""
    t = pd.to_datetime(ts, utc=True)
    return (t - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(float) / 3600.0


def cycle_time_emd(simulated: pd.DataFrame, real: pd.DataFrame) -> float:
    """Earth mover's distance (hours) between the logs' release cycle times.

    A release's cycle time runs from its first start to its last end. 0 means the two
    distributions are the same; a value of 5 means moving every simulated release's
    cycle time by 5 h on average turns one distribution into the other.
    """
    return _emd(_cycle_times(simulated), _cycle_times(real))


def _cycle_times(log: pd.DataFrame) -> np.ndarray:
    g = _cases(log)
    span = g["end"].max() - g["start"].min()
    return span.dt.total_seconds().to_numpy(float) / 3600.0


def case_arrival_emd(simulated: pd.DataFrame, real: pd.DataFrame) -> float:
    """Earth mover's distance (hours) between the logs' release start times."""
    return _emd(_hours(_cases(simulated)["start"].min()), _hours(_cases(real)["start"].min()))


def circadian_emd(simulated: pd.DataFrame, real: pd.DataFrame, *, tz: str = "UTC") -> float:
    """Mean over weekdays of the earth mover's distance (hours) of events' hour of day.

    Every start and end is an event, placed at its hour of day (with minutes, as a
    fraction) in ``tz``. For each weekday the two logs' hour-of-day distributions are
    compared; a weekday with events in one log only scores 24 h (the largest
    distance), and weekdays with events in neither are left out. 0 means both logs work
    at the same times of the week.
    """
    a, b = _circadian(simulated, tz), _circadian(real, tz)
    days = sorted(set(a) | set(b))
    if not days:
        return float("nan")
    scores = [_emd(a[d], b[d]) if d in a and d in b else 24.0 for d in days]
    return float(np.mean(scores))


def _circadian(log: pd.DataFrame, tz: str) -> dict[int, np.ndarray]:
    t = pd.concat([log["start"], log["end"]]).dropna()
    local = pd.to_datetime(t, utc=True).dt.tz_convert(tz)
    hour = (local.dt.hour + local.dt.minute / 60.0 + local.dt.second / 3600.0).to_numpy(float)
    day = local.dt.day_of_week.to_numpy()
    return {int(d): hour[day == d] for d in np.unique(day)}


def _emd(u: np.ndarray, v: np.ndarray) -> float:
    u, v = u[np.isfinite(u)], v[np.isfinite(v)]
    if u.size == 0 or v.size == 0:
        return float("nan")
    return float(stats.wasserstein_distance(u, v))


def ngram_distance(simulated: pd.DataFrame, real: pd.DataFrame, *, n: int = 3) -> float:
    """Distance in [0, 1] between the logs' frequencies of activity n-grams.

    Each release's activities, in order of start (ties by end, then name), padded with
    ``n - 1`` start and end marks, give its n-grams; each log's n-gram counts become
    frequencies, and the distance is half the sum of the absolute differences (the
    total variation distance): 0 when the logs follow the same paths equally often, 1
    when they share no n-gram.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    a, b = _ngrams(simulated, n), _ngrams(real, n)
    ta, tb = sum(a.values()), sum(b.values())
    if ta == 0 or tb == 0:
        return float("nan")
    return 0.5 * sum(abs(a[g] / ta - b[g] / tb) for g in set(a) | set(b))


def _ngrams(log: pd.DataFrame, n: int) -> Counter[tuple[str, ...]]:
    name = log["activity_id"].fillna(log["phase_id"]) if "activity_id" in log else log["phase_id"]
    frame = log.assign(_name=name.astype(str)).dropna(subset=["start"])
    keys = ["run", "release_id"] if "run" in frame.columns else ["release_id"]
    frame = frame.sort_values([*keys, "start", "end", "_name"], kind="stable")
    counts: Counter[tuple[str, ...]] = Counter()
    for names in frame.groupby(keys, sort=False, observed=True)["_name"]:
        seq = [_START] * (n - 1) + list(names[1]) + [_END] * (n - 1)
        counts.update(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))
    return counts


def log_distances(simulated: pd.DataFrame, real: pd.DataFrame, *, tz: str = "UTC",
                  n: int = 3) -> pd.DataFrame:
    """All four log distances in one table (``measure``, ``value``, ``unit``)."""
    rows = [
        ("cycle_time_emd", cycle_time_emd(simulated, real), "hours"),
        ("case_arrival_emd", case_arrival_emd(simulated, real), "hours"),
        ("circadian_emd", circadian_emd(simulated, real, tz=tz), "hours"),
        (f"{n}-gram_distance", ngram_distance(simulated, real, n=n), "share"),
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "unit"])
