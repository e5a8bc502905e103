"""Connectionist Temporal Classification: `ctc_loss` (forward-backward in log space, with
its exact gradient) and `ctc_decode` (greedy, or prefix beam search), as keras.ops."""

import numpy as np

from lamina.ops._base import const, data_of, fdata, record

_LOG_ZERO = -1e5  # Keras's log(0) stand-in: an impossible alignment gives a large finite loss


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _lse(*terms):
    stacked = np.stack(terms)
    top = stacked.max(axis=0)
    return top + np.log(np.exp(stacked - top).sum(axis=0))


def _one_sequence(logp, labels, blank):
    """(-log p(labels | logp), occupancy (T, K)) for one sequence; logp (T, K) log-probs."""
    t_len = logp.shape[0]
    ext = np.full(2 * len(labels) + 1, blank, dtype=np.int64)
    ext[1::2] = labels
    s_len = len(ext)
    skip = np.zeros(s_len, bool)  # s may come from s - 2: a label differing from the one before
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    emit = logp[:, ext]  # (T, S)
    alpha = np.full((t_len, s_len), _LOG_ZERO)
    alpha[0, 0] = emit[0, 0]
    if s_len > 1:
        alpha[0, 1] = emit[0, 1]
    for t in range(1, t_len):
        prev = alpha[t - 1]
        one = np.concatenate([[_LOG_ZERO], prev[:-1]])
        two = np.where(skip, np.concatenate([[_LOG_ZERO, _LOG_ZERO], prev[:-2]]), _LOG_ZERO)
        alpha[t] = _lse(prev, one, two) + emit[t]
    beta = np.full((t_len, s_len), _LOG_ZERO)  # excludes the emission at t
    beta[-1, -1] = 0.0
    if s_len > 1:
        beta[-1, -2] = 0.0
    skip_next = np.concatenate([skip[2:], [False, False]])  # s + 2 reachable from s
    for t in range(t_len - 2, -1, -1):
        nxt = beta[t + 1] + emit[t + 1]
        one = np.concatenate([nxt[1:], [_LOG_ZERO]])
        two = np.where(skip_next, np.concatenate([nxt[2:], [_LOG_ZERO, _LOG_ZERO]]), _LOG_ZERO)
        beta[t] = _lse(nxt, one, two)
    ends = [alpha[-1, -1]] + ([alpha[-1, -2]] if s_len > 1 else [])
    log_p = _lse(*[np.asarray(e) for e in ends])
    occupancy = np.zeros(logp.shape)
    np.add.at(occupancy, (slice(None), ext), np.exp(alpha + beta - log_p))
    return -float(log_p), occupancy


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sequence CTC loss -log p(target | output) of `output` logits (batch, time,
    classes) (log_softmax is applied here), `target` (batch, max_label) integer labels with
    their lengths, and `output_length` valid steps; `mask_index` is the blank class."""
    z = fdata(output)
    labels = np.asarray(data_of(target)).astype(np.int64)
    t_lens = np.asarray(data_of(target_length)).astype(np.int64).reshape(-1)
    o_lens = np.asarray(data_of(output_length)).astype(np.int64).reshape(-1)
    if z.ndim != 3 or labels.ndim != 2 or labels.shape[0] != z.shape[0]:
        raise ValueError(
            f"ctc_loss: output must be (batch, time, classes) and target (batch, max_label) with the "
            f"same batch, got shapes {z.shape} and {labels.shape}"
        )
    logp = _log_softmax(z.astype(np.float64))
    probs = np.exp(logp)
    losses = np.zeros(z.shape[0])
    grads = np.zeros(z.shape)
    for b in range(z.shape[0]):
        steps = int(min(o_lens[b], z.shape[1]))
        loss, occupancy = _one_sequence(logp[b, :steps], labels[b, : t_lens[b]], mask_index)
        losses[b] = loss
        grads[b, :steps] = probs[b, :steps] - occupancy  # d(-log p)/d logits
    dtype = z.dtype if z.dtype in (np.float32, np.float64) else np.float32
    return record(
        losses.astype(dtype), (output,), lambda g, need: ((g[:, None, None] * grads).astype(dtype),)
    )


def _greedy(z, lens, merge_repeated, blank):
    batch, steps, _ = z.shape
    best = np.argmax(z, axis=-1)
    scores = np.max(z, axis=-1)
    beyond = np.arange(steps)[None, :] >= lens[:, None]
    best = np.where(beyond, blank, best)
    scores = np.where(beyond, 0.0, scores)
    paths = np.full((1, batch, steps), -1, np.int32)
    for b in range(batch):
        seq = best[b]
        keep = seq != blank
        if merge_repeated:
            keep &= np.concatenate([[True], seq[1:] != seq[:-1]])
        kept = seq[keep]
        paths[0, b, : len(kept)] = kept
    return paths, (-scores.sum(axis=1))[:, None]


def _beam(logp, steps, beam_width, top_paths, blank):
    """Prefix beam search: beams keep log P(prefix, ending in blank / in a label)."""
    beams = {(): (0.0, -np.inf)}
    for t in range(steps):
        row = logp[t]
        grown = {}

        def add(prefix, pb, pnb):
            old_b, old_nb = grown.get(prefix, (-np.inf, -np.inf))
            grown[prefix] = (np.logaddexp(old_b, pb), np.logaddexp(old_nb, pnb))

        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            add(prefix, total + row[blank], -np.inf)  # a blank keeps the prefix
            for k in range(len(row)):
                if k == blank:
                    continue
                if prefix and prefix[-1] == k:
                    add(prefix, -np.inf, pnb + row[k])  # repeat merged into the last label
                    add(prefix + (k,), -np.inf, pb + row[k])  # a blank separated the repeat
                else:
                    add(prefix + (k,), -np.inf, total + row[k])
        ranked = sorted(grown.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = dict(ranked[:beam_width])
    ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
    return [(p, float(np.logaddexp(*s))) for p, s in ranked]


def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Decode (batch, time, classes) scores into label sequences.

    Returns (paths, scores): paths (top_paths, batch, time) int32 padded with -1. "greedy"
    takes the best class per step (merging repeats, dropping blanks); scores are minus the
    sum of the chosen raw scores (top_paths = 1). "beam_search" runs a CTC prefix beam search
    over log_softmax(inputs) and gives each path's log-probability (batch, top_paths)."""
    z = fdata(inputs).astype(np.float64)
    lens = np.asarray(data_of(sequence_lengths)).astype(np.int64).reshape(-1)
    if z.ndim != 3 or lens.shape[0] != z.shape[0]:
        raise ValueError(
            f"ctc_decode: inputs must be (batch, time, classes) with one sequence length per row, got "
            f"shapes {z.shape} and {lens.shape}"
        )
    blank = z.shape[-1] - 1 if mask_index is None else int(mask_index)
    if strategy == "greedy":
        paths, scores = _greedy(z, lens, merge_repeated, blank)
    elif strategy == "beam_search":
        logp = _log_softmax(z)
        batch, steps, _ = z.shape
        paths = np.full((top_paths, batch, steps), -1, np.int32)
        scores = np.full((batch, top_paths), -np.inf)
        for b in range(batch):
            for i, (prefix, score) in enumerate(
                _beam(logp[b], int(min(lens[b], steps)), beam_width, top_paths, blank)
            ):
                paths[i, b, : len(prefix)] = prefix
                scores[b, i] = score
    else:
        raise ValueError(
            f"ctc_decode: strategy must be 'greedy' or 'beam_search', got {strategy!r}"
        )
    return const(paths), const(scores.astype(np.float32))
