"""numpy's Philox4x64-10 in numba: the keyed uniforms of :mod:`phasesim.simulation.streams`
for many runs in one call, without setting a generator's state run by run.

numpy's ``Philox.random_raw`` increments the counter's first word, then encrypts the
counter with the key; :class:`~phasesim.simulation.streams.Streams` sets the counter to
``(0, block, execution, run)``, so release ``r``'s block is the encryption of
``(r + 1, block, execution, run)``. The uniforms are the top 52 bits of each word, as
``(k + 0.5) / 2**52``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_MASK32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S12 = np.uint64(12)


@njit(cache=True, inline="always")
def _mulhilo(a, b):
    """High and low 64 bits of the 128-bit product a * b."""
    a_lo = a & _MASK32
    a_hi = a >> _S32
    b_lo = b & _MASK32
    b_hi = b >> _S32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = (lo_lo >> _S32) + (hi_lo & _MASK32) + lo_hi
    hi = hi_hi + (hi_lo >> _S32) + (cross >> _S32)
    return hi, a * b


@njit(cache=True)
def uniforms(key0, stream, runs, execution, releases, draws):
    """As ``Streams(key0).uniforms(stream, runs, execution, releases, draws)``."""
    out = np.empty((runs.shape[0], releases, draws))
    blocks = (draws + 3) // 4
    unit = 2.0 ** -52
    for i in range(runs.shape[0]):
        for r in range(releases):
            for block in range(blocks):
                c0 = uint64(r + 1)
                c1 = uint64(block)
                c2 = uint64(execution)
                c3 = uint64(runs[i])
                k0 = uint64(key0)
                k1 = uint64(stream)
                for rnd in range(10):
                    if rnd:
                        k0 = k0 + _W0
                        k1 = k1 + _W1
                    hi0, lo0 = _mulhilo(_M0, c0)
                    hi1, lo1 = _mulhilo(_M1, c2)
                    c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
                words = (c0, c1, c2, c3)
                for lane in range(4):
                    j = block * 4 + lane
                    if j < draws:
                        out[i, r, j] = (float(words[lane] >> _S12) + 0.5) * unit
    return out
