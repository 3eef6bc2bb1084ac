"""The compiled event loop (numba): one run of releases over flat arrays.

It replays the SimPy engine (:mod:`phasesim.simulation.engine`) step for step: the same
event queue order (time, priority, order of scheduling — SimPy's ``URGENT`` process starts
before ``NORMAL`` timers and grants), the same synchronous cascade of "an activity ended,
its successors start" (an explicit stack in place of the engine's recursion, pushed in
reverse so it unwinds in the same order), the same first-come first-served pools by ready
time (ties by request order). So it records the same rows, in the same order, with the
same row numbers and causes.

Entities: node ``n`` (0 .. N-1) and the gate of phase ``k`` (entity ``N + k``); either
can be a "process" waiting in the event queue, with its stage kept in arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# SimPy priorities
URGENT = 0.0
NORMAL = 1.0

# events
EV_ARRIVAL = 0
EV_REL_INIT = 1
EV_BEGIN = 2
EV_FINISH = 3
EV_GATE_ANCHOR = 4
EV_PROC = 5
EV_CHAIN = 6  # zero-delay steps from a release's end to its row (SimPy's conditions)
EV_RB_BEGIN = 7  # a rollback block's process starts
EV_SERIAL_EXIT = 8  # a release left a serialised phase: the next one's gate goes on

# synchronous operations
OP_NODE_DONE = 0
OP_SUCC_DEC = 1
OP_RUNNABLE_IF_ZERO = 2
OP_PHASE_DEC = 3
OP_MAYBE_OPEN = 4
OP_OPEN_IF_DEPS = 5
OP_PENDING_DEC = 6
OP_LAUNCH = 7
OP_FINISH = 8
OP_GATE_AT_ANCHOR = 9
OP_PROC = 10
OP_BEGIN = 11
OP_BEGIN_END = 12
OP_RB_BEGIN = 13  # rollback phases: a rollback block's start
OP_RB_BEGIN_END = 14
OP_RB_OPEN = 15
OP_RB_PENDING_DEC = 16
OP_RJ_BEGIN_END = 17  # rejection rework: the end of a rework block's start
OP_RJ_RUNNABLE = 18
OP_RJ_SUCC_DEC = 19
OP_RJ_PENDING_DEC = 20
OP_AFTER_SERIALIZE = 41  # (13 in trial2; 13-20 are rollback/rework)

# statuses (codes into runner-side names)
ST_SUCCEEDED = 0
ST_FAILED = 1
ST_SKIPPED = 2
ST_ABORTED = 3
ST_REJECTED = 4

# kinds
K_MANUAL = 0
K_AUTOMATED = 1
K_APPROVAL = 2
K_WAIT = 3
K_SUBPROCESS = 4

# subprocesses (numbered apart from the codes above)
OP_SUB_BEGIN_END = 40  # a subprocess's block has started every root it had
ST_SUB_BEGIN = 70  # stage: the subprocess's block process starts (its begin)
ST_SUB_DONE = 71  # stage: the subprocess's process resumes after its block ended

# errors
OK = 0
E_HORIZON = 1
E_ABORT = 2
E_DRAWS = 3  # an execution past a node's drawn executions: draw deeper and run again
E_UNSUPPORTED = 4  # a rework block with an activity that has not run yet or rolls back

# a release's end (rel_i[:, 1]): 0 succeeded, 1 aborted after a failure, or
REL_FAILED = 2  # rolled back (its rollback phase does not resume)
REL_CAPPED = 3  # aborted at the rework cap (rejections and resumed rollbacks)

US_PER_HOUR = 3_600_000_000
SNAP_US = 4
SNAP_H = SNAP_US / US_PER_HOUR


# -- small helpers -------------------------------------------------------------------------
@njit(cache=True)
def _bisect_right(a, x, lo, hi):
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def _bisect_left(a, x, lo, hi):
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _positive(hours):
    return hours if hours > 1e-7 else 0.0


@njit(cache=True)
def _overlap(ready, a, b):
    return max(0.0, b - max(a, ready))


@njit(cache=True)
def cal_add(c, t, hours, cal_always, cal_ptr, starts, ends, starts_us, ends_us, cum,
            cov_hi_us):
    """``Calendar.add_working_hours_h`` over a built table; nan past the table."""
    if hours == 0.0:
        return t
    if cal_always[c]:
        return t + hours
    lo = cal_ptr[c]
    hi = cal_ptr[c + 1]
    n = hi - lo
    k = _bisect_right(ends, t, lo, hi) - lo
    if k == n:
        return np.nan
    start = starts[lo + k]
    if start < t:
        start = t
    end = ends[lo + k]
    if hours <= end - start + SNAP_H:
        if k == n - 1 and ends_us[lo + k] == cov_hi_us[c] and hours > end - start - SNAP_H:
            return np.nan
        result = start + hours
        return result if result < end else end
    start_us = starts_us[lo + k]
    if start == t:
        start_us = max(start_us, np.int64(np.rint(t * US_PER_HOUR)))
    clo = lo + c  # cum has n + 1 entries per calendar
    target = cum[clo + k + 1] + np.int64(np.rint(hours * US_PER_HOUR)) - \
        (ends_us[lo + k] - start_us)
    m = _bisect_left(cum, target - SNAP_US, clo + k + 2, clo + n + 1) - clo
    j = m - 1
    if m == n + 1 or (j == n - 1 and ends_us[lo + j] == cov_hi_us[c]
                      and target + SNAP_US >= cum[clo + n]):
        return np.nan
    result_us = starts_us[lo + j] + target - cum[clo + j]
    if result_us >= ends_us[lo + j]:
        return ends[lo + j]
    return result_us / US_PER_HOUR


@njit(cache=True)
def cal_next_working(c, t, cal_always, cal_ptr, starts, ends):
    if cal_always[c]:
        return t
    lo = cal_ptr[c]
    hi = cal_ptr[c + 1]
    k = _bisect_right(ends, t, lo, hi)
    if k == hi:
        return np.nan
    start = starts[k]
    return t if start <= t else start


@njit(cache=True)
def freeze_end(f, t, frz_ptr, frz_starts, frz_ends):
    """End of the freeze of freeze table ``f`` containing ``t``, or -1."""
    lo = frz_ptr[f]
    hi = frz_ptr[f + 1]
    k = _bisect_right(frz_starts, t, lo, hi) - 1
    if k >= lo and t < frz_ends[k]:
        return frz_ends[k]
    return -1.0


@njit(cache=True)
def next_anchor(a, t, anc_ptr, anc_times):
    lo = anc_ptr[a]
    hi = anc_ptr[a + 1]
    k = _bisect_left(anc_times, t - SNAP_H, lo, hi)
    if k == hi:
        return np.nan
    return anc_times[k]


@njit(cache=True)
def _less(t1, p1, e1, t2, p2, e2):
    if t1 != t2:
        return t1 < t2
    if p1 != p2:
        return p1 < p2
    return e1 < e2


@njit(cache=True)
def heap_push(h, n, t, pr, eid, kind, a, b):
    if n == h.shape[0]:
        h2 = np.empty((2 * n, 6))
        h2[:n] = h
        h = h2
    i = n
    while i > 0:
        par = (i - 1) // 2
        if _less(t, pr, eid, h[par, 0], h[par, 1], h[par, 2]):
            h[i, :] = h[par, :]
            i = par
        else:
            break
    h[i, 0] = t
    h[i, 1] = pr
    h[i, 2] = eid
    h[i, 3] = kind
    h[i, 4] = a
    h[i, 5] = b
    return h


@njit(cache=True)
def heap_pop(h, n):
    """Remove the root of a heap of ``n`` entries (its values must be read before)."""
    n -= 1
    if n == 0:
        return
    last0, last1, last2 = h[n, 0], h[n, 1], h[n, 2]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and _less(h[c + 1, 0], h[c + 1, 1], h[c + 1, 2], h[c, 0], h[c, 1],
                               h[c, 2]):
            c += 1
        if _less(h[c, 0], h[c, 1], h[c, 2], last0, last1, last2):
            h[i, :] = h[c, :]
            i = c
        else:
            break
    h[i, :] = h[n, :]


@njit(cache=True)
def _grow(a, need):
    if need <= a.shape[0]:
        return a
    size = max(need, 2 * a.shape[0])
    shape = (size, *a.shape[1:])
    b = np.empty(shape, dtype=a.dtype)
    b[:a.shape[0]] = a
    return b


@njit(cache=True)
def q_push(q, qn, pool, ready, seq, r, p):
    """Push (ready, seq) -> (r, p) on pool ``pool``'s queue (q[pool] is a heap)."""
    if qn[pool] == q.shape[1]:
        q2 = np.empty((q.shape[0], 2 * q.shape[1], 4))
        q2[:, :q.shape[1]] = q
        q = q2
    i = qn[pool]
    while i > 0:
        par = (i - 1) // 2
        if ready < q[pool, par, 0] or (ready == q[pool, par, 0] and seq < q[pool, par, 1]):
            q[pool, i, :] = q[pool, par, :]
            i = par
        else:
            break
    q[pool, i, 0] = ready
    q[pool, i, 1] = seq
    q[pool, i, 2] = r
    q[pool, i, 3] = p
    qn[pool] += 1
    return q


@njit(cache=True)
def q_pop(q, qn, pool):
    """Pop the first waiter of a pool: (release, entity)."""
    r = int(q[pool, 0, 2])
    p = int(q[pool, 0, 3])
    n = qn[pool] - 1
    qn[pool] = n
    if n > 0:
        l0, l1 = q[pool, n, 0], q[pool, n, 1]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and (q[pool, c + 1, 0] < q[pool, c, 0] or (
                    q[pool, c + 1, 0] == q[pool, c, 0] and q[pool, c + 1, 1] < q[pool, c, 1])):
                c += 1
            if q[pool, c, 0] < l0 or (q[pool, c, 0] == l0 and q[pool, c, 1] < l1):
                q[pool, i, :] = q[pool, c, :]
                i = c
            else:
                break
        q[pool, i, :] = q[pool, n, :]
    return r, p


@njit(cache=True)
def _give(pool, busy, qn, q, heap, hn, eid, now):
    """A slot goes back: to the first in the queue (a grant event now), else free."""
    if qn[pool] > 0:
        r2, p2 = q_pop(q, qn, pool)
        heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r2, p2)
        return heap, hn + 1, eid + 1
    busy[pool] -= 1
    return heap, hn, eid


@njit(cache=True)
def _record(rows_f, rows_i, nr, r, n, status, attempt, ready, start, end, ser, anc, env, team,
            off, work, rework, cause, frz):
    if nr + 1 > rows_f.shape[0]:
        rows_f = _grow(rows_f, nr + 1)
        rows_i = _grow(rows_i, nr + 1)
    rows_f[nr, 0] = ready
    rows_f[nr, 1] = start
    rows_f[nr, 2] = end
    rows_f[nr, 3] = ser
    rows_f[nr, 4] = anc
    rows_f[nr, 5] = env
    rows_f[nr, 6] = team
    rows_f[nr, 7] = off
    rows_f[nr, 8] = work
    rows_f[nr, 9] = frz
    rows_i[nr, 0] = r
    rows_i[nr, 1] = n
    rows_i[nr, 2] = status
    rows_i[nr, 3] = attempt
    rows_i[nr, 4] = rework
    rows_i[nr, 5] = cause
    return rows_f, rows_i


@njit(cache=True)
def _halt(r, n, tries, now, stopped, halted, rel_i, g_hseq, hd_n, hd_pool, hd_use, use_f,
          busy, qn, q, heap, hn, eid, N):
    """A release is aborted: environments held by its phases go back (in the order they
    were taken), and its row follows after SimPy's two condition steps."""
    stopped[r] = True
    halted[r] = now
    rel_i[r, 1] = 1
    rel_i[r, 2] = n
    rel_i[r, 3] = tries
    P = g_hseq.shape[1]
    while True:
        kk = -1
        for k2 in range(P):
            if g_hseq[r, k2] >= 0 and (kk < 0 or g_hseq[r, k2] < g_hseq[r, kk]):
                kk = k2
        if kk < 0:
            break
        g = N + kk
        for j in range(hd_n[r, g]):
            heap, hn, eid = _give(hd_pool[r, g, j], busy, qn, q, heap, hn, eid, now)
            use_f[hd_use[r, g, j], 2] = now
        hd_n[r, g] = 0
        g_hseq[r, kk] = -1
    heap = heap_push(heap, hn, now, NORMAL, eid, EV_CHAIN, r, 2)
    return heap, hn + 1, eid + 1


@njit(cache=True)
def _rj_readiness(r, n, ready, cause, rjp_ptr, rjp_idx, end_time, last_row):
    """A rework block member's ready time and cause: its block gate's, or the last of
    its predecessors inside the block to end (the engine's ``_readiness``)."""
    for i in range(rjp_ptr[n], rjp_ptr[n + 1]):
        p = rjp_idx[i]
        t = end_time[r, p]
        if t >= ready and last_row[r, p] >= 0:
            ready = t
            cause = last_row[r, p]
    return ready, cause


@njit(cache=True)
def _max_tries(node_tries):
    out = 1
    for n in range(node_tries.shape[0]):
        out = max(out, node_tries[n])
    return out


# -- rollback phases (the engine's _run: a failure runs its rollback block) ----------------
@njit(cache=True)
def _rb_fail(r, n, row, now, max_rework, node_on_fail, rb_node, rb_cause, end_time, stage,
             rel_i, heap, hn, eid):
    """The last try of node ``n`` failed and it rolls back: count the rework and start
    the block's process (URGENT, as SimPy's process start), ``n`` waiting in stage 60.
    Returns (heap, hn, eid, capped): capped, the release is aborted instead."""
    rel_i[r, 5] += 1
    if rel_i[r, 5] > max_rework:
        return heap, hn, eid, True
    k = node_on_fail[n]
    rb_node[r, k] = n
    rb_cause[r, k] = row
    end_time[r, n] = now
    stage[r, n] = 60
    heap = heap_push(heap, hn, now, URGENT, eid, EV_RB_BEGIN, r, n)
    return heap, hn + 1, eid + 1, False


@njit(cache=True)
def _rb_begin(r, n, stack, sp, node_on_fail, phn_ptr, phn_idx, pred_ptr, remaining,
              phase_left, rb_pending, rb_in_begin, opening, gopen, pdone, wl_n):
    """The block of node ``n``'s rollback phase begins (``_Block.begin``, not main): its
    book-keeping afresh, then its roots as they stand now, in the block's order."""
    k = node_on_fail[n]
    for i in range(phn_ptr[k], phn_ptr[k + 1]):
        v = phn_idx[i]
        remaining[r, v] = pred_ptr[v + 1] - pred_ptr[v]
    phase_left[r, k] = phn_ptr[k + 1] - phn_ptr[k]
    rb_pending[r, k] = phn_ptr[k + 1] - phn_ptr[k]
    rb_in_begin[r, k] = True
    opening[r, k] = False
    gopen[r, k] = False
    pdone[r, k] = False
    wl_n[r, k] = 0
    stack[sp, 0] = OP_RB_BEGIN_END
    stack[sp, 1] = r
    stack[sp, 2] = k
    sp += 1
    for i in range(phn_ptr[k + 1] - 1, phn_ptr[k] - 1, -1):
        v = phn_idx[i]
        if remaining[r, v] == 0:
            stack[sp, 0] = OP_RUNNABLE_IF_ZERO
            stack[sp, 1] = r
            stack[sp, 2] = v
            sp += 1
    return sp


@njit(cache=True)
def _rb_resume(r, n, steps, now, rb_wait, heap, hn, eid):
    """The block ended: node ``n``'s process goes on after ``steps`` SimPy steps (1 when
    the block ended within its first step, else its event, the condition on it and the
    block process's end)."""
    rb_wait[r, n] = steps
    heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, n)
    return heap, hn + 1, eid + 1


@njit(cache=True)
def _rb_last_row(r, k, fallback, phn_ptr, phn_idx, end_time, last_row):
    """The row of the block's node that ended last (the first such in the block), the
    cause of the resumed pass; ``fallback`` (the failed row) without one."""
    best = -1
    best_t = -1.0
    for i in range(phn_ptr[k], phn_ptr[k + 1]):
        v = phn_idx[i]
        if best < 0 or end_time[r, v] > best_t:
            best = v
            best_t = end_time[r, v]
    if best < 0 or last_row[r, best] < 0:
        return fallback
    return last_row[r, best]


@njit(cache=True)
def _sub_begin(stack, sp, r, s, remaining, phase_in_main, sub_mem_ptr, sub_mem_idx,
               sub_ph_ptr, sub_ph_idx):
    """The begin of the block a subprocess node ``s`` runs (the engine's ``_Block.begin``
    with the subprocess's model): its phases' gates first, then its roots as they stand
    now, then the end of the begin; pushed in reverse."""
    need = sp + (sub_mem_ptr[s + 1] - sub_mem_ptr[s]) + (sub_ph_ptr[s + 1] - sub_ph_ptr[s]) + 1
    if need > stack.shape[0]:
        stack = _grow(stack, need)
    stack[sp, 0] = OP_SUB_BEGIN_END
    stack[sp, 1] = r
    stack[sp, 2] = s
    sp += 1
    for i in range(sub_mem_ptr[s + 1] - 1, sub_mem_ptr[s] - 1, -1):
        m = sub_mem_idx[i]
        if remaining[r, m] != 0:
            continue
        stack[sp, 0] = 2  # OP_RUNNABLE_IF_ZERO
        stack[sp, 1] = r
        stack[sp, 2] = m
        sp += 1
    for i in range(sub_ph_ptr[s + 1] - 1, sub_ph_ptr[s] - 1, -1):
        k = sub_ph_idx[i]
        if phase_in_main[k]:
            stack[sp, 0] = 5  # OP_OPEN_IF_DEPS
            stack[sp, 1] = r
            stack[sp, 2] = k
            sp += 1
    return stack, sp


# -- policies: the in-flight limit and serialised phases -----------------------------------
@njit(cache=True)
def _in_flight_take(a, ready, cap, if_state, ifq, ifqn):
    """The in-flight limit's ``take`` (``if_state`` is [busy, seq]): True when release
    ``a`` may start now, else it queues by ``ready`` (its scheduled start)."""
    if if_state[0] < cap and ifqn[0] == 0:
        if_state[0] += 1
        return True, ifq
    ifq = q_push(ifq, ifqn, 0, ready, if_state[1], a, 0)
    if_state[1] += 1
    return False, ifq


@njit(cache=True)
def _in_flight_give(cap, if_state, ifq, ifqn, heap, hn, eid, now):
    """A release ended: its in-flight slot goes to the first one waiting (which starts
    with a grant event now), else it is free."""
    if ifqn[0] > 0 and if_state[0] <= cap:
        r2, _ = q_pop(ifq, ifqn, 0)
        heap = heap_push(heap, hn, now, NORMAL, eid, EV_REL_INIT, r2, 1)
        return heap, hn + 1, eid + 1
    if_state[0] -= 1
    return heap, hn, eid


@njit(cache=True)
def _serial_exit(r, k, sx, sx_wait, heap, hn, eid, now):
    """Release ``r`` leaves serialised phase ``k`` (the engine's ``serial_exit`` event
    succeeds): the next release's gate, if it waits for it, goes on when it is processed."""
    sx[r, k] = True
    if sx_wait[r, k]:
        sx_wait[r, k] = False
        heap = heap_push(heap, hn, now, NORMAL, eid, EV_SERIAL_EXIT, r + 1, k)
        return heap, hn + 1, eid + 1
    return heap, hn, eid


@njit(cache=True)
def _gate_anchor_time(r, k, now, phase_anchor, phase_slot, slot_time, anc_ptr, anc_times):
    """When phase ``k``'s gate of release ``r`` may pass its anchor (nan: past the tables)."""
    t = now
    if phase_anchor[k] >= 0:
        if phase_slot[k] >= 0:
            t = max(now, slot_time[r, phase_slot[k]])
        else:
            t = next_anchor(phase_anchor[k], now, anc_ptr, anc_times)
    return t


# -- the run ---------------------------------------------------------------------------
@njit(cache=True)
def run_releases(
        # nodes
        node_phase, node_kind, node_skip, node_team, node_cal, node_anchor, node_slot,
        node_has_uses, node_fail_p, node_tries, pred_ptr, pred_idx, succ_ptr, succ_idx,
        members,
        # entities (nodes, then phase gates): declared environments, freezes
        use_ptr, use_idx, frz_ent_ptr, frz_ent_idx,
        # phases
        phase_in_main, phase_anchor, phase_slot, phase_skip, phase_has_gate, dep_ptr, dep_idx,
        up_ptr, up_idx, dpt_ptr, dpt_idx, wl_off,
        # calendars, freezes, anchors
        cal_always, cal_ptr, cal_starts, cal_ends, cal_starts_us, cal_ends_us, cal_cum,
        cal_cov_hi_us, frz_ptr, frz_starts, frz_ends, anc_ptr, anc_times,
        # pools: teams 0 .. T-1, environments T ..
        pool_cap, n_teams,
        # this run
        starts, slot_time, coins, hours_tab,
        # rejection rework
        node_reject_p, node_rj, rj_ptr, rj_idx, rjp_ptr, rjp_idx, rjs_ptr, rjs_idx,
        # rollback phases; executions drawn per node; the rework cap
        node_on_fail, phase_resume, phn_ptr, phn_idx, node_depth, max_rework,

        # subprocesses: the block of each node and phase, what each subprocess node runs
        node_sub, phase_sub, sub_mem_ptr, sub_mem_idx, sub_ph_ptr, sub_ph_idx,
        # policies: serialised phases (of the model's own phases only), the in-flight
        # limit (0: none)
        phase_serial, max_in_flight):
    """Simulate one run. Returns (error, rows_f, rows_i, n_rows, use_f, use_i, n_use,
    rel_f, rel_i); see ``fast.chunk`` for the columns."""
    N = node_phase.shape[0]
    P = phase_in_main.shape[0]
    E = N + P
    R = starts.shape[0]
    n_pools = pool_cap.shape[0]
    max_tries = _max_tries(node_tries)

    # -- state --------------------------------------------------------------------------
    end_time = np.full((R, N), -1.0)
    last_row = np.full((R, N), -1, dtype=np.int64)
    attempts = np.zeros((R, N), dtype=np.int64)
    remaining = np.empty((R, N), dtype=np.int64)
    for n in range(N):
        remaining[:, n] = pred_ptr[n + 1] - pred_ptr[n]
    phase_left = np.zeros((R, P), dtype=np.int64)
    for i in range(members.shape[0]):
        phase_left[:, node_phase[members[i]]] += 1
    pending = np.full(R, members.shape[0], dtype=np.int64)
    # the block of each subprocess node: nodes not yet finished, whether in its begin
    sub_pending = np.zeros((R, N), dtype=np.int64)
    sub_in_begin = np.zeros((R, N), dtype=np.bool_)
    for s in range(N):
        sub_pending[:, s] = sub_mem_ptr[s + 1] - sub_mem_ptr[s]
        for i in range(sub_mem_ptr[s], sub_mem_ptr[s + 1]):
            phase_left[:, node_phase[sub_mem_idx[i]]] += 1
    g_ready = np.zeros((R, P))
    g_aser = np.zeros((R, P))
    g_aanc = np.zeros((R, P))
    g_started = np.zeros((R, P))
    g_cause = np.full((R, P), -1, dtype=np.int64)
    g_frz = np.zeros((R, P))  # of after_anchor -> started, waiting out freezes
    opening = np.zeros((R, P), dtype=np.bool_)
    gopen = np.zeros((R, P), dtype=np.bool_)
    pdone = np.zeros((R, P), dtype=np.bool_)
    wl = np.zeros((R, N), dtype=np.int64)
    wl_n = np.zeros((R, P), dtype=np.int64)
    # process state
    stage = np.zeros((R, E), dtype=np.int64)
    # ready ser anc env team_h t0 t1 req granted start end hours freeze_h
    pf = np.zeros((R, E, 13))
    pi = np.zeros((R, E, 6), dtype=np.int64)  # cause j attempt base team_usage failed
    max_uses = 1
    for e in range(E):
        max_uses = max(max_uses, use_ptr[e + 1] - use_ptr[e])
    hd_n = np.zeros((R, E), dtype=np.int64)
    hd_pool = np.zeros((R, E, max_uses), dtype=np.int64)
    hd_use = np.zeros((R, E, max_uses), dtype=np.int64)
    # directly scheduled activities: their tries and waits
    tr = np.zeros((R, N, max_tries, 4))  # granted start end hours
    tr_failed = np.zeros((R, N, max_tries), dtype=np.bool_)
    tr_n = np.zeros((R, N), dtype=np.int64)
    w = np.zeros((R, N, 5))  # ready ser anc env freeze
    w_cause = np.zeros((R, N), dtype=np.int64)
    w_use = np.full((R, N), -1, dtype=np.int64)
    # pools
    busy = np.zeros(n_pools, dtype=np.int64)
    qn = np.zeros(n_pools, dtype=np.int64)
    qseq = np.zeros(n_pools, dtype=np.int64)
    q = np.empty((n_pools, 16, 4))
    # outputs
    rows_f = np.empty((max(16, R * N), 10))
    rows_i = np.empty((max(16, R * N), 6), dtype=np.int64)
    nr = 0
    use_f = np.empty((64, 3))
    use_i = np.empty((64, 3), dtype=np.int64)
    nu = 0
    rel_f = np.zeros((R, 2))  # start end
    # attempts, aborted, failing node, its tries, row written (not when deadlocked)
    rel_i = np.zeros((R, 6), dtype=np.int64)  # ..., rework (rejections, rollbacks)
    stopped = np.zeros(R, dtype=np.bool_)
    halted = np.zeros(R)
    in_begin = np.zeros(R, dtype=np.bool_)
    g_hseq = np.full((R, P), -1, dtype=np.int64)  # order in which gates took environments
    hseq = 0
    # rollback blocks, one per release and rollback phase at a time
    rb_node = np.full((R, P), -1, dtype=np.int64)  # the node that waits for it
    rb_cause = np.full((R, P), -1, dtype=np.int64)  # its failed row
    rb_pending = np.zeros((R, P), dtype=np.int64)
    rb_in_begin = np.zeros((R, P), dtype=np.bool_)
    rb_wait = np.zeros((R, N), dtype=np.int64)  # steps until a rolled-back node goes on
    node_rework = np.zeros((R, N), dtype=np.bool_)  # its rows are rework
    for n in range(N):
        if not phase_in_main[node_phase[n]]:  # a rollback phase's: always
            node_rework[:, n] = True
    # policies: serial exits triggered, the next release's gate waiting on them; in flight
    sx = np.zeros((R, P), dtype=np.bool_)
    sx_wait = np.zeros((R, P), dtype=np.bool_)
    if_state = np.zeros(2, dtype=np.int64)  # busy, seq
    ifq = np.empty((1, 16, 4))
    ifqn = np.zeros(1, dtype=np.int64)
    # queues
    heap = np.empty((64, 6))
    hn = 0
    eid = 0
    stack = np.empty((256, 3), dtype=np.int64)
    sp = 0

    # rejection rework: members running in a rework block, rows flagged rework, the
    # block's predecessors left, its phases' gates (ready, cause), each gate's block
    rj_on = np.zeros((R, N), dtype=np.bool_)
    rj_rem = np.zeros((R, N), dtype=np.int64)
    rj_open = np.zeros((R, P), dtype=np.bool_)
    rj_ready = np.zeros((R, P))
    rj_cause = np.full((R, P), -1, dtype=np.int64)
    rj_pend = np.zeros((R, N), dtype=np.int64)  # members not done, by gate
    rj_row = np.zeros((R, N), dtype=np.int64)  # the rejection's row, by gate
    rj_in_begin = np.zeros(R, dtype=np.bool_)

    now = starts[0] if R > 0 else 0.0
    if R > 0:
        heap = heap_push(heap, hn, now, URGENT, eid, EV_ARRIVAL, 0, 0)
        hn += 1
        eid += 1

    while True:
        if sp == 0:
            if hn == 0:
                break
            now = heap[0, 0]
            kind = int(heap[0, 3])
            a = int(heap[0, 4])
            b = int(heap[0, 5])
            heap_pop(heap, hn)
            hn -= 1
            if kind == EV_ARRIVAL:
                # release a starts now (its timer was for it); later ones at the same
                # moment too, then a timer for the next one
                heap = heap_push(heap, hn, now, URGENT, eid, EV_REL_INIT, a, 0)
                hn += 1
                eid += 1
                i = a + 1
                while i < R:
                    t = starts[i]
                    if t > now:
                        heap = heap_push(heap, hn, now + (t - now), NORMAL, eid, EV_ARRIVAL,
                                         i, 0)
                        hn += 1
                        eid += 1
                        break
                    heap = heap_push(heap, hn, now, URGENT, eid, EV_REL_INIT, i, 0)
                    hn += 1
                    eid += 1
                    i += 1
                continue
            if kind == EV_CHAIN:
                if b > 1:
                    heap = heap_push(heap, hn, now, NORMAL, eid, EV_CHAIN, a, b - 1)
                    hn += 1
                    eid += 1
                    continue
                # the release's end: its serialised phases not left yet, its slot
                for k in range(P):
                    if phase_serial[k] and not sx[a, k]:
                        heap, hn, eid = _serial_exit(a, k, sx, sx_wait, heap, hn, eid, now)
                if max_in_flight > 0:
                    heap, hn, eid = _in_flight_give(max_in_flight, if_state, ifq, ifqn, heap,
                                                    hn, eid, now)
                rel_f[a, 1] = now
                best = 0
                for n in range(N):
                    if attempts[a, n] > best:
                        best = attempts[a, n]
                rel_i[a, 0] = best
                rel_i[a, 4] = 1
                continue
            if kind == EV_REL_INIT:
                if max_in_flight > 0 and b == 0:  # b == 1: granted a slot now
                    go, ifq = _in_flight_take(a, starts[a], max_in_flight, if_state, ifq,
                                              ifqn)
                    if not go:
                        continue
                rel_f[a, 0] = now
                heap = heap_push(heap, hn, now, URGENT, eid, EV_BEGIN, a, 0)
                hn += 1
                eid += 1
                continue
            if sp + 1 > stack.shape[0]:
                stack = _grow(stack, sp + 1)
            if kind == EV_BEGIN:
                stack[sp, 0] = OP_BEGIN
            elif kind == EV_FINISH:
                stack[sp, 0] = OP_FINISH
            elif kind == EV_GATE_ANCHOR:
                stack[sp, 0] = OP_GATE_AT_ANCHOR
            elif kind == EV_RB_BEGIN:
                stack[sp, 0] = OP_RB_BEGIN
            elif kind == EV_SERIAL_EXIT:
                stack[sp, 0] = OP_AFTER_SERIALIZE
            else:
                stack[sp, 0] = OP_PROC
            stack[sp, 1] = a
            stack[sp, 2] = b
            sp += 1
            continue

        # -- a synchronous operation -----------------------------------------------------
        sp -= 1
        op = stack[sp, 0]
        r = stack[sp, 1]
        x = stack[sp, 2]
        need = sp + 2 * (N + P) + 8
        if need > stack.shape[0]:
            stack = _grow(stack, need)

        if op == OP_BEGIN_END:
            in_begin[r] = False
            continue

        if op == OP_SUB_BEGIN_END:
            sub_in_begin[r, x] = False
            continue

        if op == OP_BEGIN:
            in_begin[r] = True
            stack[sp, 0] = OP_BEGIN_END
            stack[sp, 1] = r
            sp += 1
            # members in reverse, then phases in reverse: phases are opened first
            for i in range(members.shape[0] - 1, -1, -1):
                # only the roots as they stand at the start (as the SimPy engine): a
                # root done at once makes its successors runnable through OP_SUCC_DEC
                if remaining[r, members[i]] != 0:
                    continue
                stack[sp, 0] = OP_RUNNABLE_IF_ZERO
                stack[sp, 1] = r
                stack[sp, 2] = members[i]
                sp += 1
            for k in range(P - 1, -1, -1):
                if phase_in_main[k] and phase_sub[k] < 0:
                    stack[sp, 0] = OP_OPEN_IF_DEPS
                    stack[sp, 1] = r
                    stack[sp, 2] = k
                    sp += 1
            continue

        if op == OP_RJ_BEGIN_END:  # a rework block that ended while starting goes on
            rj_in_begin[r] = False
            if rj_pend[r, x] == 0 and not stopped[r]:
                stage[r, x] = 53
                heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, x)
                hn += 1
                eid += 1
            continue

        if op in (OP_RJ_SUCC_DEC, OP_RJ_RUNNABLE):
            n = x
            if op == OP_RJ_SUCC_DEC:
                rj_rem[r, n] -= 1
                if rj_rem[r, n] != 0:
                    continue
            k = node_phase[n]
            if not rj_open[r, k]:  # the block's gate of the phase opens at once
                rj_open[r, k] = True
                rj_ready[r, k] = now
                c = rj_row[r, node_rj[n]]
                best_t = -1.0
                for i in range(rjp_ptr[n], rjp_ptr[n + 1]):
                    u = rjp_idx[i]
                    if node_phase[u] != k and end_time[r, u] > best_t and last_row[r, u] >= 0:
                        best_t = end_time[r, u]
                        c = last_row[r, u]
                rj_cause[r, k] = c
            stack[sp, 0] = OP_LAUNCH
            stack[sp, 1] = r
            stack[sp, 2] = n
            sp += 1
            continue

        if op == OP_RJ_PENDING_DEC:
            rj_pend[r, x] -= 1
            if rj_pend[r, x] == 0 and not stopped[r] and not rj_in_begin[r]:
                # the block's end, SimPy's condition, then its process ends
                stage[r, x] = 51
                heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, x)
                hn += 1
                eid += 1
            continue

        if op == OP_NODE_DONE and rj_on[r, x]:  # a member of a rework block
            n = x
            rj_on[r, n] = False
            stack[sp, 0] = OP_RJ_PENDING_DEC
            stack[sp, 1] = r
            stack[sp, 2] = node_rj[n]
            sp += 1
            for i in range(rjs_ptr[n + 1] - 1, rjs_ptr[n] - 1, -1):
                stack[sp, 0] = OP_RJ_SUCC_DEC
                stack[sp, 1] = r
                stack[sp, 2] = rjs_idx[i]
                sp += 1
            continue

        if op == OP_RB_BEGIN:
            sp = _rb_begin(r, x, stack, sp, node_on_fail, phn_ptr, phn_idx, pred_ptr,
                           remaining, phase_left, rb_pending, rb_in_begin, opening, gopen,
                           pdone, wl_n)
            continue

        if op == OP_RB_BEGIN_END:
            rb_in_begin[r, x] = False
            if rb_pending[r, x] == 0 and not stopped[r]:
                heap, hn, eid = _rb_resume(r, rb_node[r, x], 1, now, rb_wait, heap, hn, eid)
            continue

        if op == OP_RB_PENDING_DEC:
            rb_pending[r, x] -= 1
            if rb_pending[r, x] == 0 and not stopped[r] and not rb_in_begin[r, x]:
                heap, hn, eid = _rb_resume(r, rb_node[r, x], 3, now, rb_wait, heap, hn, eid)
            continue

        if op == OP_NODE_DONE:
            n = x
            stack[sp, 0] = OP_PENDING_DEC if phase_in_main[node_phase[n]] \
                else OP_RB_PENDING_DEC
            stack[sp, 1] = r
            stack[sp, 2] = n if phase_in_main[node_phase[n]] else node_phase[n]
            sp += 1
            stack[sp, 0] = OP_PHASE_DEC
            stack[sp, 1] = r
            stack[sp, 2] = node_phase[n]
            sp += 1
            for i in range(succ_ptr[n + 1] - 1, succ_ptr[n] - 1, -1):
                stack[sp, 0] = OP_SUCC_DEC
                stack[sp, 1] = r
                stack[sp, 2] = succ_idx[i]
                sp += 1
            continue

        if op in (OP_SUCC_DEC, OP_RUNNABLE_IF_ZERO):
            n = x
            if op == OP_SUCC_DEC:
                remaining[r, n] -= 1
            if remaining[r, n] != 0:
                continue
            k = node_phase[n]
            if gopen[r, k]:
                stack[sp, 0] = OP_LAUNCH
                stack[sp, 1] = r
                stack[sp, 2] = n
                sp += 1
            else:
                wl[r, wl_off[k] + wl_n[r, k]] = n
                wl_n[r, k] += 1
                if not phase_in_main[k]:  # a rollback block: the first opens its gate
                    stack[sp, 0] = OP_RB_OPEN
                    stack[sp, 1] = r
                    stack[sp, 2] = k
                    sp += 1
            continue

        if op == OP_PHASE_DEC:
            k = x
            phase_left[r, k] -= 1
            if phase_left[r, k] != 0:
                continue
            g = N + k
            for j in range(hd_n[r, g]):
                pool = hd_pool[r, g, j]
                if qn[pool] > 0:
                    r2, p2 = q_pop(q, qn, pool)
                    heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r2, p2)
                    hn += 1
                    eid += 1
                else:
                    busy[pool] -= 1
                use_f[hd_use[r, g, j], 2] = now
            hd_n[r, g] = 0
            g_hseq[r, k] = -1
            # it left a serialised phase (never a subprocess's: phase_serial marks the
            # model's own phases only, as the engine's serial_exit holds only their ids)
            if phase_serial[k] and not sx[r, k]:
                heap, hn, eid = _serial_exit(r, k, sx, sx_wait, heap, hn, eid, now)
            pdone[r, k] = True
            for i in range(dpt_ptr[k + 1] - 1, dpt_ptr[k] - 1, -1):
                stack[sp, 0] = OP_MAYBE_OPEN
                stack[sp, 1] = r
                stack[sp, 2] = dpt_idx[i]
                sp += 1
            continue

        if op == OP_PENDING_DEC:
            s = node_sub[x]
            if s >= 0:  # a node of a subprocess: its block's count
                sub_pending[r, s] -= 1
                if sub_pending[r, s] == 0 and not stopped[r]:
                    # the block's end and SimPy's condition, then the subprocess resumes
                    stage[r, s] = ST_SUB_DONE
                    heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, s)
                    hn += 1
                    eid += 1
                    if not sub_in_begin[r, s]:
                        stage[r, s] = ST_SUB_DONE + 2
                continue
            pending[r] -= 1
            if pending[r] == 0 and not stopped[r]:
                # the block's end, then SimPy's conditions, then the release's row
                heap = heap_push(heap, hn, now, NORMAL, eid, EV_CHAIN, r,
                                 2 if in_begin[r] else 4)
                hn += 1
                eid += 1
            continue

        if op in (OP_MAYBE_OPEN, OP_OPEN_IF_DEPS, OP_RB_OPEN):
            k = x
            if opening[r, k]:
                continue
            done = True
            for i in range(dep_ptr[k], dep_ptr[k + 1]):
                d = dep_idx[i]
                if phase_in_main[d] and not pdone[r, d]:
                    done = False
            if not done:
                continue
            # open the gate: note when and why it was reached
            opening[r, k] = True
            g_ready[r, k] = now
            g_cause[r, k] = -1 if phase_sub[k] < 0 else pi[r, phase_sub[k], 0]
            best_t = -1.0
            for i in range(up_ptr[k], up_ptr[k + 1]):
                u = up_idx[i]
                if end_time[r, u] > best_t and last_row[r, u] >= 0:
                    best_t = end_time[r, u]
                    g_cause[r, k] = last_row[r, u]
            if op == OP_RB_OPEN:  # a rollback phase (no depends-on): the failed row
                g_cause[r, k] = rb_cause[r, k]
            g_aser[r, k] = now
            g_aanc[r, k] = now
            g_started[r, k] = now
            g_frz[r, k] = 0.0
            if phase_skip[k] or not (phase_has_gate[k] or (phase_serial[k] and r > 0)):
                # the gate's end: open, and launch what waits
                gopen[r, k] = True
                for i in range(wl_n[r, k] - 1, -1, -1):
                    stack[sp, 0] = OP_LAUNCH
                    stack[sp, 1] = r
                    stack[sp, 2] = wl[r, wl_off[k] + i]
                    sp += 1
                wl_n[r, k] = 0
                continue
            # serialised: wait until the previous release has left the phase
            if phase_serial[k] and r > 0 and not sx[r - 1, k]:
                sx_wait[r - 1, k] = True
                continue
            # after serialisation: the anchor
            if stopped[r]:
                continue
            g_aser[r, k] = now
            t = now
            if phase_anchor[k] >= 0:
                if phase_slot[k] >= 0:
                    t = max(now, slot_time[r, phase_slot[k]])
                else:
                    t = next_anchor(phase_anchor[k], now, anc_ptr, anc_times)
                if np.isnan(t):
                    return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
            if t > now:
                heap = heap_push(heap, hn, now + (t - now), NORMAL, eid, EV_GATE_ANCHOR, r, k)
                hn += 1
                eid += 1
            else:
                stack[sp, 0] = OP_GATE_AT_ANCHOR
                stack[sp, 1] = r
                stack[sp, 2] = k
                sp += 1
            continue

        if op == OP_AFTER_SERIALIZE:  # the previous release left the phase: the anchor
            k = x
            if stopped[r]:
                continue
            g_aser[r, k] = now
            t = _gate_anchor_time(r, k, now, phase_anchor, phase_slot, slot_time, anc_ptr,
                                  anc_times)
            if np.isnan(t):
                return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
            if t > now:
                heap = heap_push(heap, hn, now + (t - now), NORMAL, eid, EV_GATE_ANCHOR, r, k)
                hn += 1
                eid += 1
            else:
                stack[sp, 0] = OP_GATE_AT_ANCHOR
                stack[sp, 1] = r
                stack[sp, 2] = k
                sp += 1
            continue

        if op == OP_GATE_AT_ANCHOR:
            k = x
            g = N + k
            if stopped[r]:
                continue
            g_aanc[r, k] = now
            frozen = False
            for i in range(frz_ent_ptr[g], frz_ent_ptr[g + 1]):
                if freeze_end(frz_ent_idx[i], now, frz_ptr, frz_starts, frz_ends) >= 0.0:
                    frozen = True
            free = True
            for i in range(use_ptr[g], use_ptr[g + 1]):
                pool = use_idx[i]
                if not (busy[pool] < pool_cap[pool] and qn[pool] == 0):
                    free = False
            if frozen or not free:
                stage[r, g] = 0
                heap = heap_push(heap, hn, now, URGENT, eid, EV_PROC, r, g)
                hn += 1
                eid += 1
                continue
            for i in range(use_ptr[g], use_ptr[g + 1]):
                pool = use_idx[i]
                busy[pool] += 1
                if nu + 1 > use_f.shape[0]:
                    use_f = _grow(use_f, nu + 1)
                    use_i = _grow(use_i, nu + 1)
                use_f[nu, 0] = now
                use_f[nu, 1] = now
                use_f[nu, 2] = np.nan
                use_i[nu, 0] = 1
                use_i[nu, 1] = pool
                use_i[nu, 2] = r
                hd_pool[r, g, hd_n[r, g]] = pool
                hd_use[r, g, hd_n[r, g]] = nu
                hd_n[r, g] += 1
                nu += 1
            if hd_n[r, g] > 0:
                g_hseq[r, k] = hseq
                hseq += 1
            g_started[r, k] = now
            gopen[r, k] = True
            for i in range(wl_n[r, k] - 1, -1, -1):
                stack[sp, 0] = OP_LAUNCH
                stack[sp, 1] = r
                stack[sp, 2] = wl[r, wl_off[k] + i]
                sp += 1
            wl_n[r, k] = 0
            continue

        if op == OP_LAUNCH:
            n = x
            k = node_phase[n]
            if stopped[r]:
                continue
            # readiness
            ready = g_ready[r, k]
            cause = g_cause[r, k]
            for i in range(pred_ptr[n], pred_ptr[n + 1]):
                p = pred_idx[i]
                t = end_time[r, p]
                if t >= ready and last_row[r, p] >= 0:
                    ready = t
                    cause = last_row[r, p]
            frz_h = 0.0
            if g_started[r, k] <= ready:
                ser_h = 0.0
                anc_h = 0.0
                env_h = 0.0
            else:
                ser_h = _overlap(ready, g_ready[r, k], g_aser[r, k])
                anc_h = _overlap(ready, g_aser[r, k], g_aanc[r, k])
                env_h = _overlap(ready, g_aanc[r, k], g_started[r, k])
                if g_frz[r, k] > 0.0:
                    frz_h = _overlap(ready, g_aanc[r, k], g_aanc[r, k] + g_frz[r, k])
            if rj_on[r, n]:
                ready, cause = _rj_readiness(r, n, rj_ready[r, k], rj_cause[r, k], rjp_ptr,
                                             rjp_idx, end_time, last_row)
                ser_h = anc_h = env_h = frz_h = 0.0
            if node_skip[n]:
                if nr + 1 > rows_f.shape[0]:
                    rows_f = _grow(rows_f, nr + 1)
                    rows_i = _grow(rows_i, nr + 1)
                attempts[r, n] += 1
                rows_f[nr, 0] = ready
                rows_f[nr, 1] = now
                rows_f[nr, 2] = now
                rows_f[nr, 3] = ser_h
                rows_f[nr, 4] = anc_h
                rows_f[nr, 5] = env_h
                rows_f[nr, 6] = 0.0
                rows_f[nr, 7] = 0.0
                rows_f[nr, 8] = 0.0
                rows_f[nr, 9] = frz_h
                rows_i[nr, 0] = r
                rows_i[nr, 1] = n
                rows_i[nr, 2] = ST_SKIPPED
                rows_i[nr, 3] = attempts[r, n]
                rows_i[nr, 4] = 1 if node_rework[r, n] else 0
                rows_i[nr, 5] = cause
                last_row[r, n] = nr
                nr += 1
                end_time[r, n] = now
                stack[sp, 0] = OP_NODE_DONE
                stack[sp, 1] = r
                stack[sp, 2] = n
                sp += 1
                continue
            team = node_team[n] if node_kind[n] == K_MANUAL else -1
            team_free = team < 0 or (busy[team] < pool_cap[team] and qn[team] == 0)
            if node_has_uses[n] or (team >= 0 and (node_anchor[n] >= 0 or not team_free)) \
                    or node_reject_p[n] > 0.0 or node_kind[n] == K_SUBPROCESS:
                stage[r, n] = 0
                heap = heap_push(heap, hn, now, URGENT, eid, EV_PROC, r, n)
                hn += 1
                eid += 1
                continue
            # directly scheduled: the whole execution at once
            t = now
            if node_anchor[n] >= 0:
                if node_slot[n] >= 0:
                    t = max(now, slot_time[r, node_slot[n]])
                else:
                    t = next_anchor(node_anchor[n], now, anc_ptr, anc_times)
                if np.isnan(t):
                    return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
            base = attempts[r, n]
            c = node_cal[n]
            ntries = 0
            failed = False
            for att in range(node_tries[n]):
                if base + att >= node_depth[n]:
                    return (E_DRAWS, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                coin = coins[n, base + att, r]
                hours = hours_tab[n, base + att, r]
                if node_kind[n] == K_APPROVAL:
                    start = t
                    end = cal_add(c, t, hours, cal_always, cal_ptr, cal_starts, cal_ends,
                                  cal_starts_us, cal_ends_us, cal_cum, cal_cov_hi_us)
                elif node_kind[n] == K_MANUAL and hours > 0:
                    start = cal_next_working(c, t, cal_always, cal_ptr, cal_starts, cal_ends)
                    end = cal_add(c, t, hours, cal_always, cal_ptr, cal_starts, cal_ends,
                                  cal_starts_us, cal_ends_us, cal_cum, cal_cov_hi_us)
                else:
                    start = t
                    end = t + hours
                if np.isnan(end) or np.isnan(start):
                    return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                failed = coin < node_fail_p[n]
                tr[r, n, att, 0] = t
                tr[r, n, att, 1] = start
                tr[r, n, att, 2] = end
                tr[r, n, att, 3] = hours
                tr_failed[r, n, att] = failed
                ntries += 1
                t = end
                if not failed:
                    break
            tr_n[r, n] = ntries
            if failed and node_on_fail[n] >= 0:  # it rolls back: the process path
                stage[r, n] = 0
                heap = heap_push(heap, hn, now, URGENT, eid, EV_PROC, r, n)
                hn += 1
                eid += 1
                continue
            w_use[r, n] = -1
            if team >= 0:
                busy[team] += 1
                if nu + 1 > use_f.shape[0]:
                    use_f = _grow(use_f, nu + 1)
                    use_i = _grow(use_i, nu + 1)
                use_f[nu, 0] = now
                use_f[nu, 1] = now
                use_f[nu, 2] = np.nan
                use_i[nu, 0] = 0
                use_i[nu, 1] = team
                use_i[nu, 2] = r
                w_use[r, n] = nu
                nu += 1
            w[r, n, 0] = ready
            w[r, n, 1] = ser_h
            w[r, n, 2] = anc_h + tr[r, n, 0, 0] - now
            w[r, n, 3] = env_h
            w[r, n, 4] = frz_h
            w_cause[r, n] = cause
            if t > now:
                heap = heap_push(heap, hn, now + (t - now), NORMAL, eid, EV_FINISH, r, n)
                hn += 1
                eid += 1
            else:
                stack[sp, 0] = OP_FINISH
                stack[sp, 1] = r
                stack[sp, 2] = n
                sp += 1
            continue

        if op == OP_FINISH:
            n = x
            u = w_use[r, n]
            if u >= 0:
                heap, hn, eid = _give(node_team[n], busy, qn, q, heap, hn, eid, now)
                use_f[u, 2] = now
            ready = w[r, n, 0]
            cause = w_cause[r, n]
            m = tr_n[r, n]
            cut = False
            for att in range(m):
                granted = tr[r, n, att, 0]
                start = tr[r, n, att, 1]
                end = tr[r, n, att, 2]
                hours = tr[r, n, att, 3]
                if stopped[r] and end > halted[r]:
                    if granted < halted[r]:  # under way when the release ended
                        end = max(start, halted[r])
                        attempts[r, n] += 1
                        rows_f, rows_i = _record(
                            rows_f, rows_i, nr, r, n, ST_ABORTED, attempts[r, n],
                            min(ready, end), min(start, end), end, 0.0, 0.0, 0.0, 0.0, 0.0,
                            end - min(start, end),
                            0 if att == 0 and not node_rework[r, n] else 1, cause, 0.0)
                        last_row[r, n] = nr
                        nr += 1
                    cut = True
                    break
                first = att == 0
                attempts[r, n] += 1
                rows_f, rows_i = _record(
                    rows_f, rows_i, nr, r, n, ST_FAILED if tr_failed[r, n, att] else ST_SUCCEEDED,
                    attempts[r, n], ready, start, end, w[r, n, 1] if first else 0.0,
                    w[r, n, 2] if first else 0.0, w[r, n, 3] if first else 0.0, 0.0,
                    _positive(end - granted - hours), hours,
                    0 if first and not node_rework[r, n] else 1, cause,
                    w[r, n, 4] if first else 0.0)
                last_row[r, n] = nr
                ready = end
                cause = nr
                nr += 1
            if cut or stopped[r]:
                continue
            if tr_failed[r, n, m - 1]:
                heap, hn, eid = _halt(r, n, m, now, stopped, halted, rel_i, g_hseq, hd_n,
                                      hd_pool, hd_use, use_f, busy, qn, q, heap, hn, eid, N)
                continue
            end_time[r, n] = tr[r, n, m - 1, 2]
            stack[sp, 0] = OP_NODE_DONE
            stack[sp, 1] = r
            stack[sp, 2] = n
            sp += 1
            continue

        # -- OP_PROC: a process resumes (or starts) ---------------------------------------
        # stages: 0 start, 10-11 own anchor, 20-22 environments, 30-32 work and team,
        # 40-41 tries; 50-53 a rejection's rework block (the approval waits in it),
        # 60 a failed node waiting for its rollback block
        p = x
        gate = p >= N
        n = p if not gate else 0
        k = p - N if gate else node_phase[p]
        st = stage[r, p]
        while True:
            if st == 0:  # start
                if gate:
                    pi[r, p, 1] = 0
                    pf[r, p, 12] = 0.0
                    st = 20
                    continue
                ready = g_ready[r, k]
                cause = g_cause[r, k]
                for i in range(pred_ptr[n], pred_ptr[n + 1]):
                    pp = pred_idx[i]
                    t = end_time[r, pp]
                    if t >= ready and last_row[r, pp] >= 0:
                        ready = t
                        cause = last_row[r, pp]
                pf[r, p, 0] = ready
                pi[r, p, 0] = cause
                pf[r, p, 12] = 0.0
                if g_started[r, k] <= ready:
                    pf[r, p, 1] = 0.0
                    pf[r, p, 2] = 0.0
                    pf[r, p, 3] = 0.0
                else:
                    pf[r, p, 1] = _overlap(ready, g_ready[r, k], g_aser[r, k])
                    pf[r, p, 2] = _overlap(ready, g_aser[r, k], g_aanc[r, k])
                    pf[r, p, 3] = _overlap(ready, g_aanc[r, k], g_started[r, k])
                    if g_frz[r, k] > 0.0:  # the part of the gate's wait in freezes
                        pf[r, p, 12] = _overlap(ready, g_aanc[r, k],
                                                g_aanc[r, k] + g_frz[r, k])
                if rj_on[r, n]:  # in a rework block: its block gate, passed at once
                    pf[r, p, 0], pi[r, p, 0] = _rj_readiness(
                        r, n, rj_ready[r, k], rj_cause[r, k], rjp_ptr, rjp_idx, end_time,
                        last_row)
                    pf[r, p, 1] = pf[r, p, 2] = pf[r, p, 3] = pf[r, p, 12] = 0.0
                st = 10
                continue
            if st == 10:  # its own anchor (also of a pass after a resumed rollback)
                pf[r, p, 5] = now
                t = now
                if node_anchor[n] >= 0:
                    if node_slot[n] >= 0:
                        t = max(now, slot_time[r, node_slot[n]])
                    else:
                        t = next_anchor(node_anchor[n], now, anc_ptr, anc_times)
                    if np.isnan(t):
                        return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                    if t > now:
                        heap = heap_push(heap, hn, now + (t - now), NORMAL, eid, EV_PROC, r, p)
                        hn += 1
                        eid += 1
                        stage[r, p] = 11
                        break
                st = 11
                continue
            if st == 11:  # after the anchor
                pf[r, p, 2] += now - pf[r, p, 5]
                pf[r, p, 6] = now
                if node_has_uses[n]:
                    pi[r, p, 1] = 0
                    st = 20
                elif stopped[r]:  # the release ended while it waited for its anchor
                    break
                else:
                    st = 30
                continue
            if st == 20:  # acquire: wait out freezes
                latest = -1.0
                for i in range(frz_ent_ptr[p], frz_ent_ptr[p + 1]):
                    fe = freeze_end(frz_ent_idx[i], now, frz_ptr, frz_starts, frz_ends)
                    if fe >= 0.0 and fe > latest:
                        latest = fe
                if latest >= 0.0:
                    pf[r, p, 12] += latest - now  # waited out (the engine's frozen[0])
                    heap = heap_push(heap, hn, now + (latest - now), NORMAL, eid, EV_PROC, r, p)
                    hn += 1
                    eid += 1
                    stage[r, p] = 20
                    break
                pi[r, p, 1] = 0
                hd_n[r, p] = 0
                st = 21
                continue
            if st == 21 or st == 22:  # acquire: take the environments in name order
                if st == 22:
                    j = pi[r, p, 1]
                    pool = use_idx[use_ptr[p] + j]
                    if nu + 1 > use_f.shape[0]:
                        use_f = _grow(use_f, nu + 1)
                        use_i = _grow(use_i, nu + 1)
                    use_f[nu, 0] = pf[r, p, 7]
                    use_f[nu, 1] = now
                    use_f[nu, 2] = np.nan
                    use_i[nu, 0] = 1
                    use_i[nu, 1] = pool
                    use_i[nu, 2] = r
                    hd_pool[r, p, hd_n[r, p]] = pool
                    hd_use[r, p, hd_n[r, p]] = nu
                    hd_n[r, p] += 1
                    nu += 1
                    pi[r, p, 1] = j + 1
                waiting = False
                while pi[r, p, 1] < use_ptr[p + 1] - use_ptr[p]:
                    j = pi[r, p, 1]
                    pool = use_idx[use_ptr[p] + j]
                    if busy[pool] < pool_cap[pool] and qn[pool] == 0:
                        busy[pool] += 1
                        if nu + 1 > use_f.shape[0]:
                            use_f = _grow(use_f, nu + 1)
                            use_i = _grow(use_i, nu + 1)
                        use_f[nu, 0] = now
                        use_f[nu, 1] = now
                        use_f[nu, 2] = np.nan
                        use_i[nu, 0] = 1
                        use_i[nu, 1] = pool
                        use_i[nu, 2] = r
                        hd_pool[r, p, hd_n[r, p]] = pool
                        hd_use[r, p, hd_n[r, p]] = nu
                        hd_n[r, p] += 1
                        nu += 1
                        pi[r, p, 1] = j + 1
                        continue
                    prio = g_ready[r, k] if gate else pf[r, p, 0]
                    q = q_push(q, qn, pool, prio, qseq[pool], r, p)
                    qseq[pool] += 1
                    pf[r, p, 7] = now
                    stage[r, p] = 22
                    waiting = True
                    break
                if waiting:
                    break
                frozen = False
                for i in range(frz_ent_ptr[p], frz_ent_ptr[p + 1]):
                    if freeze_end(frz_ent_idx[i], now, frz_ptr, frz_starts, frz_ends) >= 0.0:
                        frozen = True
                if frozen:
                    for j in range(hd_n[r, p]):
                        pool = hd_pool[r, p, j]
                        if qn[pool] > 0:
                            r2, p2 = q_pop(q, qn, pool)
                            heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r2, p2)
                            hn += 1
                            eid += 1
                        else:
                            busy[pool] -= 1
                        use_f[hd_use[r, p, j], 2] = now
                    hd_n[r, p] = 0
                    st = 20
                    continue
                if gate:
                    g_started[r, k] = now
                    g_frz[r, k] = pf[r, p, 12]
                    if stopped[r]:
                        for j in range(hd_n[r, p]):
                            heap, hn, eid = _give(hd_pool[r, p, j], busy, qn, q, heap, hn,
                                                  eid, now)
                            use_f[hd_use[r, p, j], 2] = now
                        hd_n[r, p] = 0
                        break
                    if hd_n[r, p] > 0:
                        g_hseq[r, k] = hseq
                        hseq += 1
                    gopen[r, k] = True
                    for i in range(wl_n[r, k] - 1, -1, -1):
                        stack[sp, 0] = OP_LAUNCH
                        stack[sp, 1] = r
                        stack[sp, 2] = wl[r, wl_off[k] + i]
                        sp += 1
                    wl_n[r, k] = 0
                    break
                pf[r, p, 3] += now - pf[r, p, 6]
                if stopped[r]:
                    for j in range(hd_n[r, p]):
                        heap, hn, eid = _give(hd_pool[r, p, j], busy, qn, q, heap, hn, eid,
                                              now)
                        use_f[hd_use[r, p, j], 2] = now
                    hd_n[r, p] = 0
                    break
                st = 30
                continue
            if st == 30 and node_kind[n] == K_SUBPROCESS:  # runs its block, a process
                pf[r, p, 9] = now
                stage[r, p] = ST_SUB_BEGIN
                heap = heap_push(heap, hn, now, URGENT, eid, EV_PROC, r, p)
                hn += 1
                eid += 1
                break
            if st == ST_SUB_BEGIN:
                if stopped[r]:
                    break
                if sub_pending[r, p] == 0:  # nothing to run: it ends at once
                    stage[r, p] = ST_SUB_DONE
                    heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, p)
                    hn += 1
                    eid += 1
                    break
                sub_in_begin[r, p] = True
                stack, sp = _sub_begin(stack, sp, r, p, remaining, phase_in_main,
                                       sub_mem_ptr, sub_mem_idx, sub_ph_ptr, sub_ph_idx)
                break
            if st == ST_SUB_DONE + 2 or st == ST_SUB_DONE + 1:  # SimPy's zero-delay steps
                stage[r, p] = st - 1
                heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, p)
                hn += 1
                eid += 1
                break
            if st == ST_SUB_DONE:  # its row: from its start to the block's end
                if stopped[r]:
                    break
                attempts[r, n] += 1
                rows_f, rows_i = _record(
                    rows_f, rows_i, nr, r, n, ST_SUCCEEDED, attempts[r, n], pf[r, p, 0],
                    pf[r, p, 9], now, pf[r, p, 1], pf[r, p, 2], pf[r, p, 3], 0.0, 0.0,
                    now - pf[r, p, 9], 0, pi[r, p, 0], pf[r, p, 12])
                last_row[r, n] = nr
                nr += 1
                end_time[r, n] = now
                stack[sp, 0] = OP_NODE_DONE
                stack[sp, 1] = r
                stack[sp, 2] = n
                sp += 1
                break
            if st == 30:  # work
                base = attempts[r, n]
                pi[r, p, 3] = base
                pi[r, p, 2] = 0
                pi[r, p, 4] = -1
                pf[r, p, 4] = 0.0
                if node_kind[n] == K_APPROVAL:
                    if base >= node_depth[n]:
                        return (E_DRAWS, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                    wait = hours_tab[n, base, r]
                    start = now
                    end = cal_add(node_cal[n], start, wait, cal_always, cal_ptr, cal_starts,
                                  cal_ends, cal_starts_us, cal_ends_us, cal_cum, cal_cov_hi_us)
                    if np.isnan(end):
                        return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                    pf[r, p, 8] = start
                    pf[r, p, 9] = start
                    pf[r, p, 10] = end
                    pf[r, p, 11] = wait
                    pi[r, p, 5] = 2 if coins[n, base, r] < node_reject_p[n] else 0
                    if end > start:
                        heap = heap_push(heap, hn, start + (end - start), NORMAL, eid, EV_PROC,
                                         r, p)
                        hn += 1
                        eid += 1
                        stage[r, p] = 41
                        break
                    st = 41
                    continue
                team = node_team[n] if node_kind[n] == K_MANUAL else -1
                if team >= 0:
                    pf[r, p, 7] = now
                    if busy[team] < pool_cap[team] and qn[team] == 0:
                        busy[team] += 1
                        st = 32
                        continue
                    q = q_push(q, qn, team, pf[r, p, 0], qseq[team], r, p)
                    qseq[team] += 1
                    stage[r, p] = 32
                    break
                st = 40
                continue
            if st == 32:  # a team member is ours
                team = node_team[n]
                pf[r, p, 4] = now - pf[r, p, 7]
                if nu + 1 > use_f.shape[0]:
                    use_f = _grow(use_f, nu + 1)
                    use_i = _grow(use_i, nu + 1)
                use_f[nu, 0] = pf[r, p, 7]
                use_f[nu, 1] = now
                use_f[nu, 2] = np.nan
                use_i[nu, 0] = 0
                use_i[nu, 1] = team
                use_i[nu, 2] = r
                pi[r, p, 4] = nu
                nu += 1
                if stopped[r]:
                    heap, hn, eid = _give(team, busy, qn, q, heap, hn, eid, now)
                    use_f[pi[r, p, 4], 2] = now
                    for j in range(hd_n[r, p]):
                        heap, hn, eid = _give(hd_pool[r, p, j], busy, qn, q, heap, hn, eid,
                                              now)
                        use_f[hd_use[r, p, j], 2] = now
                    hd_n[r, p] = 0
                    break
                st = 40
                continue
            if st == 40:  # one try
                att = pi[r, p, 2]
                if pi[r, p, 3] + att >= node_depth[n]:
                    return (E_DRAWS, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                coin = coins[n, pi[r, p, 3] + att, r]
                hours = hours_tab[n, pi[r, p, 3] + att, r]
                granted = now
                if node_kind[n] == K_MANUAL:
                    start = cal_next_working(node_cal[n], granted, cal_always, cal_ptr,
                                             cal_starts, cal_ends) if hours > 0 else granted
                    end = cal_add(node_cal[n], granted, hours, cal_always, cal_ptr,
                                  cal_starts, cal_ends, cal_starts_us, cal_ends_us, cal_cum,
                                  cal_cov_hi_us)
                else:
                    start = granted
                    end = granted + hours
                if np.isnan(start) or np.isnan(end):
                    return (E_HORIZON, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)
                pf[r, p, 8] = granted
                pf[r, p, 9] = start
                pf[r, p, 10] = end
                pf[r, p, 11] = hours
                pi[r, p, 5] = 1 if coin < node_fail_p[n] else 0
                if end > granted:
                    heap = heap_push(heap, hn, granted + (end - granted), NORMAL, eid, EV_PROC,
                                     r, p)
                    hn += 1
                    eid += 1
                    stage[r, p] = 41
                    break
                st = 41
                continue
            if st == 41:  # a try (or an approval) ended: its row
                att = pi[r, p, 2]
                failed = pi[r, p, 5] == 1
                first = att == 0
                attempts[r, n] += 1
                if stopped[r]:  # cut short: the release ended meanwhile
                    start = pf[r, p, 9]
                    end = max(start, halted[r])
                    rows_f, rows_i = _record(
                        rows_f, rows_i, nr, r, n, ST_ABORTED, attempts[r, n],
                        min(pf[r, p, 0], end), min(start, end), end, 0.0, 0.0, 0.0, 0.0, 0.0,
                        end - min(start, end), 1 if node_rework[r, n] else 0, pi[r, p, 0],
                        0.0)
                else:
                    rows_f, rows_i = _record(
                        rows_f, rows_i, nr, r, n, ST_FAILED if failed else ST_SUCCEEDED,
                        attempts[r, n], pf[r, p, 0], pf[r, p, 9], pf[r, p, 10],
                        pf[r, p, 1] if first else 0.0, pf[r, p, 2] if first else 0.0,
                        pf[r, p, 3] if first else 0.0, pf[r, p, 4] if first else 0.0,
                        _positive(pf[r, p, 10] - pf[r, p, 8] - pf[r, p, 11]), pf[r, p, 11],
                        0 if first and not node_rework[r, n] else 1, pi[r, p, 0],
                        pf[r, p, 12] if first else 0.0)
                    if pi[r, p, 5] == 2:
                        rows_i[nr, 2] = ST_REJECTED
                last_row[r, n] = nr
                nr += 1
                if failed and not stopped[r]:
                    pf[r, p, 0] = pf[r, p, 10]
                    pi[r, p, 0] = nr - 1
                    if att + 1 < node_tries[n]:
                        pi[r, p, 2] = att + 1
                        st = 40
                        continue
                # the team member goes back, then the environments
                u = pi[r, p, 4]
                if u >= 0:
                    heap, hn, eid = _give(node_team[n], busy, qn, q, heap, hn, eid, now)
                    use_f[u, 2] = now
                halt = failed and not stopped[r] and node_on_fail[n] < 0
                if halt:
                    heap, hn, eid = _halt(r, n, node_tries[n], now, stopped, halted, rel_i,
                                          g_hseq, hd_n, hd_pool, hd_use, use_f, busy, qn, q,
                                          heap, hn, eid, N)
                for j in range(hd_n[r, p]):
                    heap, hn, eid = _give(hd_pool[r, p, j], busy, qn, q, heap, hn, eid, now)
                    use_f[hd_use[r, p, j], 2] = now
                hd_n[r, p] = 0
                if stopped[r]:
                    break
                if pi[r, p, 5] == 2:  # rejected: its rework block runs, then it again
                    rel_i[r, 5] += 1
                    if rel_i[r, 5] > max_rework:  # the rework cap: the release aborts
                        heap, hn, eid = _halt(r, n, 0, now, stopped, halted, rel_i, g_hseq,
                                              hd_n, hd_pool, hd_use, use_f, busy, qn, q,
                                              heap, hn, eid, N)
                        rel_i[r, 1] = REL_CAPPED
                        break
                    end_time[r, n] = now
                    node_rework[r, n] = True
                    rj_row[r, n] = nr - 1
                    stage[r, p] = 50  # the block's process starts
                    heap = heap_push(heap, hn, now, URGENT, eid, EV_PROC, r, p)
                    hn += 1
                    eid += 1
                    break
                if failed:  # the pass failed: its rollback phase runs (or the cap)
                    heap, hn, eid, capped = _rb_fail(r, n, nr - 1, now, max_rework,
                                                     node_on_fail, rb_node, rb_cause,
                                                     end_time, stage, rel_i, heap, hn, eid)
                    if capped:
                        heap, hn, eid = _halt(r, n, node_tries[n], now, stopped, halted,
                                              rel_i, g_hseq, hd_n, hd_pool, hd_use, use_f,
                                              busy, qn, q, heap, hn, eid, N)
                        rel_i[r, 1] = REL_CAPPED
                    break
                end_time[r, n] = now
                stack[sp, 0] = OP_NODE_DONE
                stack[sp, 1] = r
                stack[sp, 2] = n
                sp += 1
                break
            if st == 50:  # a rejection's rework block starts (the engine's _block)
                for i in range(rj_ptr[n], rj_ptr[n + 1]):
                    m = rj_idx[i]
                    kb = node_on_fail[m]
                    # not done yet, or waiting for its rollback block: it would run twice
                    if end_time[r, m] < 0.0 or (kb >= 0 and rb_node[r, kb] == m):
                        return (E_UNSUPPORTED, rows_f, rows_i, nr, use_f, use_i, nu, rel_f,
                                rel_i)
                for i in range(rj_ptr[n], rj_ptr[n + 1]):
                    m = rj_idx[i]
                    rj_open[r, node_phase[m]] = False
                    rj_on[r, m] = True
                    node_rework[r, m] = True
                    rj_rem[r, m] = rjp_ptr[m + 1] - rjp_ptr[m]
                rj_pend[r, n] = rj_ptr[n + 1] - rj_ptr[n]
                rj_in_begin[r] = True
                stack[sp, 0] = OP_RJ_BEGIN_END
                stack[sp, 1] = r
                stack[sp, 2] = n
                sp += 1
                for i in range(rj_ptr[n + 1] - 1, rj_ptr[n] - 1, -1):
                    if rj_rem[r, rj_idx[i]] == 0:  # the roots as they stand now
                        stack[sp, 0] = OP_RJ_RUNNABLE
                        stack[sp, 1] = r
                        stack[sp, 2] = rj_idx[i]
                        sp += 1
                stage[r, p] = 51
                break
            if st == 51 or st == 52:  # the block's end, its condition: one step each
                stage[r, p] = st + 1
                heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, p)
                hn += 1
                eid += 1
                break
            if st == 53:  # the block is done: the approval passes again, ready now
                if stopped[r]:
                    break
                last = -1
                best_t = -1.0
                for i in range(rj_ptr[n], rj_ptr[n + 1]):
                    m = rj_idx[i]
                    if last < 0 or end_time[r, m] > best_t:
                        last = m
                        best_t = end_time[r, m]
                pf[r, p, 0] = now
                pi[r, p, 0] = rj_row[r, n]
                if last >= 0 and last_row[r, last] >= 0:
                    pi[r, p, 0] = last_row[r, last]
                pf[r, p, 1] = pf[r, p, 2] = pf[r, p, 3] = pf[r, p, 12] = 0.0
                st = 10  # its own anchor, as a pass after a resumed rollback
                continue
            if st == 60:  # its rollback block ended: SimPy's steps until it goes on
                if rb_wait[r, n] > 1:
                    rb_wait[r, n] -= 1
                    heap = heap_push(heap, hn, now, NORMAL, eid, EV_PROC, r, p)
                    hn += 1
                    eid += 1
                    break
                kb = node_on_fail[n]
                rb_node[r, kb] = -1  # the block is over
                if stopped[r]:
                    break
                if not phase_resume[kb]:  # rolled back: the release ends failed
                    heap, hn, eid = _halt(r, n, node_tries[n], now, stopped, halted, rel_i,
                                          g_hseq, hd_n, hd_pool, hd_use, use_f, busy, qn, q,
                                          heap, hn, eid, N)
                    rel_i[r, 1] = REL_FAILED
                    break
                # it resumes: a new pass, ready now, after the block's last row
                pf[r, p, 0] = now
                pi[r, p, 0] = _rb_last_row(r, kb, rb_cause[r, kb], phn_ptr, phn_idx,
                                           end_time, last_row)
                pf[r, p, 1] = 0.0
                pf[r, p, 2] = 0.0
                pf[r, p, 3] = 0.0
                pf[r, p, 12] = 0.0
                node_rework[r, n] = True
                st = 10
                continue
            break  # unknown stage: cannot happen
    return (OK, rows_f, rows_i, nr, use_f, use_i, nu, rel_f, rel_i)


@njit(cache=True)
def run_many(node_phase, node_kind, node_skip, node_team, node_cal, node_anchor, node_slot,
             node_has_uses, node_fail_p, node_tries, pred_ptr, pred_idx, succ_ptr, succ_idx,
             members, use_ptr, use_idx, frz_ent_ptr, frz_ent_idx, phase_in_main, phase_anchor,
             phase_slot, phase_skip, phase_has_gate, dep_ptr, dep_idx, up_ptr, up_idx, dpt_ptr,
             dpt_idx, wl_off, cal_always, cal_ptr, cal_starts, cal_ends, cal_starts_us,
             cal_ends_us, cal_cum, cal_cov_hi_us, frz_ptr, frz_starts, frz_ends, anc_ptr,
             anc_times, pool_cap, n_teams,
             starts, slot_time, coins, hours_tab,
             node_reject_p, node_rj, rj_ptr, rj_idx, rjp_ptr, rjp_idx, rjs_ptr, rjs_idx,
             node_on_fail, phase_resume, phn_ptr, phn_idx, node_depth, max_rework,
             node_sub, phase_sub, sub_mem_ptr, sub_mem_idx, sub_ph_ptr, sub_ph_idx,
             phase_serial, max_in_flight):
    """All runs of a chunk in one call: ``starts`` is ``(runs, releases)``, ``slot_time``
    ``(runs, releases, slots)``, ``coins`` and ``hours_tab`` ``(runs, nodes, executions,
    releases)``; ``phase_serial`` and ``max_in_flight`` as in :func:`run_releases`.
    Returns (error, the run it met it in, rows_f, rows_i, row_run, use_f,
    use_i, use_run, rel_f, rel_i), the rows of every run one after the other."""
    n_runs = starts.shape[0]
    R = starts.shape[1]
    rows_f = np.empty((64, 10))
    rows_i = np.empty((64, 6), dtype=np.int64)
    row_run = np.empty(64, dtype=np.int64)
    use_f = np.empty((64, 3))
    use_i = np.empty((64, 3), dtype=np.int64)
    use_run = np.empty(64, dtype=np.int64)
    rel_f = np.empty((n_runs * R, 2))
    rel_i = np.empty((n_runs * R, 6), dtype=np.int64)
    nr = 0
    nu = 0
    for i in range(n_runs):
        err, rf, ri, k, uf, ui, m, relf, reli = run_releases(
            node_phase, node_kind, node_skip, node_team, node_cal, node_anchor, node_slot,
            node_has_uses, node_fail_p, node_tries, pred_ptr, pred_idx, succ_ptr, succ_idx,
            members, use_ptr, use_idx, frz_ent_ptr, frz_ent_idx, phase_in_main, phase_anchor,
            phase_slot, phase_skip, phase_has_gate, dep_ptr, dep_idx, up_ptr, up_idx, dpt_ptr,
            dpt_idx, wl_off, cal_always, cal_ptr, cal_starts, cal_ends, cal_starts_us,
            cal_ends_us, cal_cum, cal_cov_hi_us, frz_ptr, frz_starts, frz_ends, anc_ptr,
            anc_times, pool_cap, n_teams,
            starts[i], slot_time[i], coins[i], hours_tab[i],
            node_reject_p, node_rj, rj_ptr, rj_idx, rjp_ptr, rjp_idx, rjs_ptr, rjs_idx,
            node_on_fail, phase_resume, phn_ptr, phn_idx, node_depth, max_rework,

            node_sub, phase_sub, sub_mem_ptr, sub_mem_idx, sub_ph_ptr, sub_ph_idx,
            phase_serial, max_in_flight)
        if err != OK:
            return (err, i, rows_f[:nr], rows_i[:nr], row_run[:nr], use_f[:nu], use_i[:nu],
                    use_run[:nu], rel_f, rel_i)
        rows_f = _grow(rows_f, nr + k)
        rows_i = _grow(rows_i, nr + k)
        row_run = _grow(row_run, nr + k)
        rows_f[nr:nr + k] = rf[:k]
        rows_i[nr:nr + k] = ri[:k]
        row_run[nr:nr + k] = i
        nr += k
        use_f = _grow(use_f, nu + m)
        use_i = _grow(use_i, nu + m)
        use_run = _grow(use_run, nu + m)
        use_f[nu:nu + m] = uf[:m]
        use_i[nu:nu + m] = ui[:m]
        use_run[nu:nu + m] = i
        nu += m
        rel_f[i * R:(i + 1) * R] = relf
        rel_i[i * R:(i + 1) * R] = reli
    return (OK, -1, rows_f[:nr], rows_i[:nr], row_run[:nr], use_f[:nu], use_i[:nu],
            use_run[:nu], rel_f, rel_i)
