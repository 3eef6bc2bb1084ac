"""Tests of phasesim.simulation.streams written against its mutants (issue 15)."""

from __future__ import annotations

import numpy as np

from phasesim.simulation.streams import Streams, seed_key


def test_seed_key_is_the_first_64_bit_word_of_the_seed_sequence() -> None:
    # the documented address: key = SeedSequence(seed).generate_state(1, uint64)[0]
    expected = int(np.random.SeedSequence(7).generate_state(1, dtype=np.uint64)[0])
    assert seed_key(7) == expected
    assert seed_key(np.random.SeedSequence(7)) == expected  # a SeedSequence is used as is
    # 64 bits, not 32: over 20 seeds a 32-bit key would never reach 2**32
    assert max(seed_key(s) for s in range(20)) >= 2**32


def test_a_fresh_seed_gives_fresh_streams() -> None:
    assert seed_key(None) != seed_key(None)
    u = Streams(seed_key(7)).uniforms(3, [0], 0, releases=1, draws=1)
    again = Streams(seed_key(np.random.SeedSequence(7))).uniforms(3, [0], 0, 1, 1)
    assert u[0, 0, 0] == again[0, 0, 0]
