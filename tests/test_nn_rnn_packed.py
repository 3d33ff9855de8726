"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence) and recurrent layers on
packed batches, against PyTorch in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.utils.rnn as trnn
from oracle import assert_close
from test_nn_rnn import TOL, flat, one_torch_thread, pair, twin, weighted_sum  # noqa: F401 (a fixture)

import chainrule as cr
from chainrule import nn
from chainrule.nn.utils import rnn as crnn

LENGTHS = [3, 6, 1, 4]  # unsorted, with a sequence of length 1


def sequences(lengths=LENGTHS, features=5, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, features)) for n in lengths]
    return [pair(a) for a in arrays]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    seqs = sequences()
    out = crnn.pad_sequence([c for c, _ in seqs], batch_first, -1.5, padding_side)
    t_out = trnn.pad_sequence([t for _, t in seqs], batch_first, -1.5, padding_side)
    assert_close(out, t_out, **TOL)
    loss, t_loss = weighted_sum([out], [t_out], np.random.default_rng(1))
    loss.backward()
    t_loss.backward()
    for c, t in seqs:
        assert_close(c.grad, t.grad, **TOL)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_round_trip(batch_first, enforce_sorted):
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    rng = np.random.default_rng(2)
    shape = (len(lengths), max(lengths), 3) if batch_first else (max(lengths), len(lengths), 3)
    x, tx = pair(rng.standard_normal(shape))
    packed = crnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    t_packed = trnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    assert isinstance(packed, crnn.PackedSequence) and isinstance(packed, tuple)
    assert_close(packed.data, t_packed.data, **TOL)
    assert packed.batch_sizes.tolist() == t_packed.batch_sizes.tolist()
    assert packed.batch_sizes.dtype == cr.int64
    if enforce_sorted:
        assert packed.sorted_indices is None and packed.unsorted_indices is None
    else:
        assert packed.sorted_indices.tolist() == t_packed.sorted_indices.tolist()
        assert packed.unsorted_indices.tolist() == t_packed.unsorted_indices.tolist()
    padded, out_lengths = crnn.pad_packed_sequence(packed, batch_first, padding_value=9.0, total_length=7)
    t_padded, t_lengths = trnn.pad_packed_sequence(t_packed, batch_first, padding_value=9.0, total_length=7)
    assert_close(padded, t_padded, **TOL)
    assert out_lengths.tolist() == t_lengths.tolist() and out_lengths.dtype == cr.int64
    loss, t_loss = weighted_sum([padded], [t_padded], rng)
    loss.backward()
    t_loss.backward()
    assert_close(x.grad, tx.grad, **TOL)  # zero where the input was padding


def test_lengths_as_a_tensor():
    x = cr.tensor(np.arange(12.0).reshape(4, 3, 1))
    packed = crnn.pack_padded_sequence(x, cr.tensor([2, 4, 1]), enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.data.reshape(-1).tolist() == [1.0, 0.0, 2.0, 4.0, 3.0, 7.0, 10.0]


def test_pack_errors_like_torch():
    x = cr.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        crnn.pack_padded_sequence(x, [1, 3, 2])
    with pytest.raises(RuntimeError, match="greater than 0"):
        crnn.pack_padded_sequence(x, [3, 2, 0])
    packed = crnn.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match="total_length"):
        crnn.pad_packed_sequence(packed, total_length=2)


def test_pack_sequence_and_unpack():
    seqs = sequences()
    packed = crnn.pack_sequence([c for c, _ in seqs], enforce_sorted=False)
    t_packed = trnn.pack_sequence([t for _, t in seqs], enforce_sorted=False)
    assert_close(packed.data, t_packed.data, **TOL)
    for a, (c, _) in zip(crnn.unpack_sequence(packed), seqs):
        assert_close(a, c.detach(), **TOL)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU", "LSTM-proj"])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_layers_on_packed_sequences(mode, enforce_sorted):
    proj = 3 if mode == "LSTM-proj" else 0
    mode = mode.removesuffix("-proj")
    kwargs = {"proj_size": proj} if proj else {}
    c, t = twin(mode, 5, 4, num_layers=2, bidirectional=True, batch_first=True, **kwargs)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    rng = np.random.default_rng(3)
    x, tx = pair(rng.standard_normal((len(lengths), max(lengths), 5)))
    h0, th0 = pair(rng.standard_normal((4, len(lengths), proj or 4)))
    c0, tc0 = pair(rng.standard_normal((4, len(lengths), 4)))
    packed = crnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    t_packed = trnn.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    state, t_state = ((h0, c0), (th0, tc0)) if mode == "LSTM" else (h0, th0)
    out, t_out = c(packed, state), t(t_packed, t_state)
    assert isinstance(out[0], crnn.PackedSequence)
    assert out[0].batch_sizes.tolist() == t_out[0].batch_sizes.tolist()
    outs, t_outs = flat(out), flat(t_out)
    outs[0], t_outs[0] = outs[0].data, t_outs[0].data
    assert_close(outs, t_outs, what=f"{mode} packed forward", **TOL)
    padded, _ = crnn.pad_packed_sequence(out[0], batch_first=True)
    t_padded, _ = trnn.pad_packed_sequence(t_out[0], batch_first=True)
    loss, t_loss = weighted_sum([padded] + outs[1:], [t_padded] + t_outs[1:], rng)
    loss.backward()
    t_loss.backward()
    assert_close(x.grad, tx.grad, what="gradient of the input", **TOL)
    assert_close(h0.grad, th0.grad, what="gradient of h0", **TOL)
    if mode == "LSTM":
        assert_close(c0.grad, tc0.grad, what="gradient of c0", **TOL)
    for name, p in t.named_parameters():
        assert_close(getattr(c, name).grad, p.grad, what=f"gradient of {name}", **TOL)


def test_packed_gives_each_sequence_its_own_last_state():
    # h_n of a packed batch equals running each sequence alone at its own length
    c = nn.GRU(5, 4).double()
    seqs = [s for s, _ in sequences()]
    _, h_n = c(crnn.pack_sequence(seqs, enforce_sorted=False))
    for i, s in enumerate(seqs):
        _, h_alone = c(s.detach())
        np.testing.assert_allclose(h_n.detach().numpy()[0, i], h_alone.detach().numpy()[0], rtol=1e-12)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_packed_with_the_numpy_backward(mode, monkeypatch):
    from chainrule.ops import rnn_fast

    monkeypatch.setattr(rnn_fast.kernels, "loaded", False)  # the form used without numba
    test_layers_on_packed_sequences(mode, enforce_sorted=False)
