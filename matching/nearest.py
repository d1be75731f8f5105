"""Each member's most similar members, from sparse profile rows (compiled with numba).

Profile rows are sparse (about eight of 45-405 columns are set), so a row's
similarities are a few scaled rows of the transposed pool added together,
far less work than a dense matrix product over every column. Picking the
best ``k`` of thousands is the other half of the cost: a threshold read off
every eighth similarity leaves about ``2 * k`` candidates, and only those are
ranked. The answer is exactly that of ranking every column (best first, the
lower column first among equal similarities).
"""

from __future__ import annotations

import numpy as np
from numba import njit

STRIDE = 8  # every STRIDE-th similarity sets the threshold


@njit(cache=True, fastmath=True, nogil=True)
def most_similar_rows(indptr, indices, data, Xt, rows, k, first):
    """Per row ``rows[r]`` of the CSR arrays, the ``k`` columns of ``Xt`` (one member
    per column) of highest dot product, best first, skipping column ``first + r``
    (the member itself); -1 where fewer than ``k`` columns are left.

    ``Xt`` is (features, members) so that adding a scaled feature row is one
    contiguous pass.
    """
    m = Xt.shape[1]
    out = np.full((len(rows), k), -1, np.int64)
    sims = np.empty(m, np.float32)
    cand = np.empty(m, np.int64)
    vals = np.empty(k, np.float32)
    n_sample = (m + STRIDE - 1) // STRIDE
    rank = max(1, min(n_sample, 2 * k // STRIDE))
    top = np.empty(rank, np.float32)
    for r in range(len(rows)):
        sims[:] = 0
        i = rows[r]
        for z in range(indptr[i], indptr[i + 1]):
            v = data[z]
            j = indices[z]
            for c in range(m):
                sims[c] += v * Xt[j, c]
        me = first + r
        if 0 <= me < m:
            sims[me] = -np.inf
        # The rank-th best of every STRIDE-th column: about 2k columns reach it.
        top[:] = -np.inf
        for s in range(n_sample):
            v = sims[s * STRIDE]
            if v <= top[rank - 1]:
                continue
            j = rank - 1
            while j > 0 and top[j - 1] < v:
                top[j] = top[j - 1]
                j -= 1
            top[j] = v
        threshold = top[rank - 1]
        n = 0
        for c in range(m):
            if sims[c] >= threshold and c != me:
                cand[n] = c
                n += 1
        if n < k:  # too few reached it (rare): rank every column
            n = 0
            for c in range(m):
                if c != me:
                    cand[n] = c
                    n += 1
        # Insertion into the best k, in column order: among equals the lower column stays first.
        want = min(k, n)
        if want == 0:
            continue
        vals[:] = -np.inf
        for q in range(n):
            c = cand[q]
            v = sims[c]
            if v <= vals[want - 1]:
                continue
            j = want - 1
            while j > 0 and vals[j - 1] < v:
                vals[j] = vals[j - 1]
                out[r, j] = out[r, j - 1]
                j -= 1
            vals[j] = v
            out[r, j] = c
    return out
