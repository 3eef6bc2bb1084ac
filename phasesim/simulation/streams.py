"""Keyed random streams: common random numbers across runs, releases and scenarios.

Every execution of an activity draws from its own stream, addressed by
``(seed, activity, run, release, execution)``: a counter-based Philox generator whose key
is the seed and the activity's stable id and whose counter is the rest. The numbers an
activity sees therefore do not depend on what other activities drew, on the order in
which the engine interleaves them, on how runs are split across workers, or on which
other activities a scenario adds or removes. Two scenarios of one blueprint share random
numbers wherever they share activities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Streams", "seed_key"]


def seed_key(seed: int | np.random.SeedSequence | None) -> int:
    """A 64-bit key derived from a user's seed (fresh entropy for None)."""
    sequence = seed if isinstance(seed, np.random.SeedSequence) else \
        np.random.SeedSequence(seed)
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


class Streams:
    """One Philox generator repositioned for each (stream, run, release, execution).

    Repositioning costs a few microseconds, far less than building a generator.
    """

    def __init__(self, key: int) -> None:
        self._philox = np.random.Philox(0)
        self.rng = np.random.Generator(self._philox)
        self._counter = np.zeros(4, dtype=np.uint64)
        self._key = np.array([key, 0], dtype=np.uint64)
        self._state: Any = {
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": self._key},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }

    def at(self, stream: int, run: int, release: int, execution: int) -> np.random.Generator:
        """The generator positioned at the start of one stream; draw from it at once."""
        self._key[1] = stream
        self._counter[0] = execution
        self._counter[1] = release
        self._counter[2] = run
        self._counter[3] = 0
        self._philox.state = self._state
        return self.rng
