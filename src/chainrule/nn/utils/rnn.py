"""Batches of variable-length sequences, as ``torch.nn.utils.rnn``: padding and packing.

A ``PackedSequence`` holds the steps of a batch of sequences without padding, time-major: the first
step of every sequence, then the second step of those that have one, and so on; ``batch_sizes[t]``
counts the sequences still running at step t. The sequences are ordered longest first
(``sorted_indices`` maps back to the caller's order). Recurrent layers read it directly and stop each
sequence at its own length.

>>> padded = nn.utils.rnn.pad_sequence([chainrule.ones(3, 2), chainrule.ones(1, 2)])   # (3, 2, 2)
>>> packed = nn.utils.rnn.pack_padded_sequence(padded, [3, 1])
>>> packed.batch_sizes.tolist()
[2, 1, 1]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from chainrule.functions import cat
from chainrule.ops.sequence import PadGather
from chainrule.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]


def _long(values) -> Tensor:
    return Tensor._wrap(np.asarray(values, dtype=np.int64))


class PackedSequence(NamedTuple):
    """A packed batch of sequences: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per step),
    ``sorted_indices`` / ``unsorted_indices`` (int64 permutations, or None when the input was sorted).

    Make one with ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(...)`` (a dtype or a device); the index tensors stay as they are."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def cpu(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _lengths_array(lengths, where) -> np.ndarray:
    arr = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise RuntimeError(f"{where}: lengths must be a 1-D list or tensor of ints, got {lengths!r}")
    return arr.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True) -> PackedSequence:
    """Pack a padded batch of sequences of the given lengths (the padding is dropped).

    Args:
        input (Tensor): (T, B, *) padded sequences, or (B, T, *) with ``batch_first``.
        lengths (Tensor or list of int): the length of each sequence (all >= 1).
        batch_first (bool): the layout of ``input``. Default False.
        enforce_sorted (bool): require lengths in decreasing order; with False the batch is sorted
            here and ``sorted_indices`` records how. Default True.

    >>> packed = pack_padded_sequence(chainrule.zeros(4, 3, 5), [4, 2, 1])
    >>> packed.data.shape, packed.batch_sizes.tolist()
    (Size([7, 5]), [3, 2, 1, 1])
    """
    lengths = _lengths_array(lengths, "pack_padded_sequence")
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if len(lengths) != batch:
        raise RuntimeError(f"pack_padded_sequence: expected len(lengths) to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if batch and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if batch and lengths.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths.max()} exceeds the {steps} time steps "
                           "of the input")
    sorted_indices = unsorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order = np.arange(batch)
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices, unsorted_indices = _long(order), _long(np.argsort(order))
    lengths = lengths[order]
    batch_sizes = (lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)
    batch_sizes = batch_sizes[batch_sizes > 0]
    t, b = np.nonzero(np.arange(len(batch_sizes))[:, None] < lengths[None, :])  # time-major, sorted batch
    row = order[b] * steps + t if batch_first else t * batch + order[b]
    flat = input.reshape(steps * batch, *input.shape[2:])
    return PackedSequence(PadGather.apply(flat, row), _long(batch_sizes), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: returns (padded, lengths), in the original batch order.

    Args:
        sequence (PackedSequence): the packed batch.
        batch_first (bool): return (B, T, *) instead of (T, B, *). Default False.
        padding_value (float): the value of padded elements. Default 0.
        total_length (int, optional): pad to this many steps (at least the longest length).

    >>> padded, lengths = pad_packed_sequence(lstm(packed)[0])   # doctest: +SKIP
    """
    data, sizes = sequence.data, np.asarray(sequence.batch_sizes._data, dtype=np.int64)
    steps, batch = len(sizes), int(sizes[0]) if len(sizes) else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)  # per sorted sequence
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    t = np.arange(steps)[:, None]
    b = np.arange(batch)[None, :]
    index = np.where(t < lengths[None, :], offsets[np.minimum(t, len(sizes) - 1)] + b, -1)  # (T, B)
    if sequence.unsorted_indices is not None:
        back = np.asarray(sequence.unsorted_indices._data)
        index, lengths = index[:, back], lengths[back]
    if batch_first:
        index = index.T
    return PadGather.apply(data, index, padding_value=padding_value), _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into one (T, B, *) tensor, padded to the longest.

    Args:
        sequences (list of Tensor): the sequences, each (L_i, *) with the same trailing shape.
        batch_first (bool): return (B, T, *). Default False.
        padding_value (float): the value of padded elements. Default 0.
        padding_side (str): 'right' (pad after each sequence) or 'left'. Default 'right'.

    >>> pad_sequence([chainrule.ones(3), chainrule.ones(1)], batch_first=True).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0)) if hasattr(sequences, "unbind") else [s for s in sequences]
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, starts = int(lengths.max()), np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[:, None]
    shift = steps - lengths[None, :] if padding_side == "left" else 0
    pos = t - shift
    index = np.where((pos >= 0) & (pos < lengths[None, :]), starts[None, :] + pos, -1)  # (T, B)
    if batch_first:
        index = index.T
    return PadGather.apply(cat(sequences, dim=0), index, padding_value=padding_value)


def pack_sequence(sequences, enforce_sorted=True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False) -> list:
    """Split a padded batch back into a list of sequences of the given lengths."""
    lengths = _lengths_array(lengths, "unpad_sequence")
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, : int(n)] for i, n in enumerate(lengths)]


def unpack_sequence(packed_sequences) -> list:
    """Split a PackedSequence back into a list of sequences (in the original order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
