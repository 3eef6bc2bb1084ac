"""Keyed random streams: common random numbers across runs, releases and scenarios.

Every execution of an activity has its own uniform numbers, addressed by
``(seed, activity, run, release, execution, draw)``: the output of numpy's counter-based
Philox generator whose key is the seed and the activity's stable id and whose counter is
the rest. The numbers an activity sees therefore do not depend on what other activities
drew, on the order in which the engine interleaves them, on how runs are split across
workers, or on which other activities a scenario adds or removes. Two scenarios of one
blueprint share random numbers wherever they share activities.

The counter's words are ``(release, draw // 4, execution, run)``, with the release in
the word Philox increments: one call to ``random_raw`` gives a draw of every release of
a run at once, and no two addresses share a block (each block is four 64-bit words, one
per draw). Durations are drawn by inverse transform from these uniforms, so a scenario
that changes a distribution moves each sampled duration monotonically.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Streams", "seed_key"]

_LANES = 4  # 64-bit words per Philox block
_BITS = 52  # (k + 0.5) / 2**52 is exact in a double, and never 0 or 1
_UNIT = 2.0 ** -_BITS


def seed_key(seed: int | np.random.SeedSequence | None) -> int:
    """A 64-bit key derived from a user's seed (fresh entropy for None)."""
    sequence = seed if isinstance(seed, np.random.SeedSequence) else \
        np.random.SeedSequence(seed)
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


class Streams:
    """Uniform numbers of every (stream, run, release, execution, draw).

    Examples
    --------
    >>> streams = Streams(seed_key(7))
    >>> u = streams.uniforms(stream=12, runs=[0, 1], execution=0, releases=3, draws=2)
    >>> u.shape, bool(((0 < u) & (u < 1)).all())
    ((2, 3, 2), True)
    >>> bool((streams.uniforms(12, [1], 0, releases=5, draws=1)[0, :3, 0] == u[1, :, 0]).all())
    True
    """

    def __init__(self, key: int) -> None:
        self._philox = np.random.Philox(0)
        self._counter = np.zeros(4, dtype=np.uint64)
        self._key = np.array([key, 0], dtype=np.uint64)
        self._state: Any = {
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": self._key},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": _LANES,
            "has_uint32": 0,
            "uinteger": 0,
        }

    def uniforms(self, stream: int, runs: Sequence[int], execution: int, releases: int,
                 draws: int) -> np.ndarray:
        """Draws ``0 .. draws - 1`` of releases ``0 .. releases - 1`` of each of ``runs``.

        Parameters
        ----------
        stream : int
            The activity's stable id (or another stream's, such as arrivals).
        runs : sequence of int
            Monte Carlo runs.
        execution : int
            How many times the activity ran before in the release.
        releases, draws : int
            How many releases and how many numbers each.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(runs), releases, draws)``, uniform on the open interval (0, 1):
            the midpoints of 2**52 equal steps. Release ``r``'s numbers do not depend on
            ``releases``, draw ``j``'s not on ``draws``, and a run's not on the others.
        """
        blocks = -(-draws // _LANES)
        raw = np.empty((len(runs), releases, blocks * _LANES), dtype=np.uint64)
        self._key[1] = stream
        counter = self._counter
        counter[2] = execution
        for block in range(blocks):
            counter[1] = block
            for i, run in enumerate(runs):
                counter[0] = 0
                counter[3] = run
                self._philox.state = self._state
                raw[i, :, block * _LANES:(block + 1) * _LANES] = \
                    self._philox.random_raw(releases * _LANES).reshape(releases, _LANES)
        return ((raw[:, :, :draws] >> np.uint64(64 - _BITS)) + 0.5) * _UNIT
