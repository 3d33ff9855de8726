"""Word vectors: skip-gram with negative sampling (word2vec), trained with chainrule's nn and optim.

Every word has two vectors, an input one (``in_embed``, the word as a centre) and an output one
(``out_embed``, the word as a context). For each (centre, context) pair seen within ``window`` words of
each other, and ``negative`` words drawn from the unigram distribution raised to 3/4, the loss is

    -log sigmoid(u_context . v_centre) - sum over negatives of log sigmoid(-u_neg . v_centre)

so words that appear in the same contexts end up with similar input vectors: the lecture's "similar items
get similar embeddings", learnt from co-occurrence alone. Frequent words are subsampled (kept with
probability ``sqrt(t / f) + t / f``) as in the original word2vec.

    w2v = Word2Vec(dim=50, window=2, epochs=5).fit_file("corpus.txt")
    w2v.most_similar("paris", k=5)
    w2v.analogy("france", "paris", "italy")   # france is to paris as italy is to ... ?
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"[a-z0-9_']+")


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"Word2Vec: k must be a positive integer, got {k!r}")


def tokenize(text: str) -> list[list[str]]:
    """Lower-cased word tokens, one list per non-empty line (a line is a sentence: windows never cross it)."""
    lines = (_TOKEN.findall(line.lower()) for line in text.splitlines())
    return [words for words in lines if words]


class Word2Vec:
    """Skip-gram word vectors with negative sampling.

    Args:
        dim (int): vector size. Default 50.
        window (int): context words on each side of the centre. Default 2.
        negative (int): negative samples per pair. Default 5.
        min_count (int): words seen fewer times are dropped. Default 1.
        subsample (float): the t of frequent-word subsampling; 0 turns it off. Default 1e-3.
        epochs (int): passes over the corpus. Default 5.
        lr (float): Adam's learning rate. Default 0.01.
        batch_size (int): (centre, context) pairs per step. Default 1024.
        seed (int): makes the vectors reproducible. Default 0.

    Attributes (after ``fit``): ``vocab`` (words, most frequent first), ``index`` (word -> row),
    ``counts``, ``vectors`` (the input embeddings as a (V, dim) float32 array), ``losses`` (mean loss
    per epoch), ``model`` (the ``nn.Module`` with ``in_embed`` and ``out_embed``).
    """

    def __init__(self, dim: int = 50, window: int = 2, negative: int = 5, min_count: int = 1,
                 subsample: float = 1e-3, epochs: int = 5, lr: float = 0.01, batch_size: int = 1024, seed: int = 0):
        for name, value in (("dim", dim), ("window", window), ("epochs", epochs), ("batch_size", batch_size),
                            ("min_count", min_count)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Word2Vec: {name} must be a positive integer, got {value!r}")
        if not isinstance(negative, (int, np.integer)) or negative < 0:
            raise ValueError(f"Word2Vec: negative must be an integer >= 0, got {negative!r}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
            raise ValueError(f"Word2Vec: lr must be a positive number, got {lr!r}")
        if isinstance(subsample, bool) or not isinstance(subsample, (int, float)) or not 0 <= subsample < float("inf"):
            raise ValueError(f"Word2Vec: subsample must be a number >= 0 (0 turns it off), got {subsample!r}")
        self.dim, self.window, self.negative, self.min_count = dim, window, negative, min_count
        self.subsample, self.epochs, self.lr, self.batch_size, self.seed = subsample, epochs, lr, batch_size, seed
        self.model = None

    # -- data ----------------------------------------------------------------------------------------
    def _build_vocab(self, sentences):
        counts = Counter(w for s in sentences for w in s)
        words = sorted((w for w, c in counts.items() if c >= self.min_count), key=lambda w: (-counts[w], w))
        if len(words) < 2:
            raise ValueError(f"Word2Vec: the corpus has {len(words)} distinct word(s) seen at least "
                             f"min_count={self.min_count} times; at least 2 are needed")
        self.vocab = words
        self.index = {w: i for i, w in enumerate(words)}
        self.counts = np.array([counts[w] for w in words], np.int64)

    def _pairs(self, ids, sent, rng, subsample=True):
        """(centre, context) pairs of one epoch, after subsampling, within ``window`` in one sentence."""
        if self.subsample and subsample:
            f = self.counts[ids] / self.counts.sum()
            keep = rng.random(len(ids)) < np.sqrt(self.subsample / f) + self.subsample / f
            ids, sent = ids[keep], sent[keep]
        centres, contexts = [], []
        for off in range(1, self.window + 1):
            same = sent[off:] == sent[:-off]
            a, b = ids[:-off][same], ids[off:][same]
            centres += [a, b]
            contexts += [b, a]
        return np.concatenate(centres), np.concatenate(contexts)

    # -- training ------------------------------------------------------------------------------------
    def fit(self, corpus) -> Word2Vec:
        """Learn vectors from ``corpus``: a string (one sentence per line), or a list whose items are
        token lists or sentence strings (each string is tokenized as one line)."""
        import chainrule as cr
        from chainrule import nn, optim
        from chainrule.nn import functional as F

        if isinstance(corpus, str):
            sentences = tokenize(corpus)
        else:  # a string item is a sentence, not a list of characters
            sentences = [t for s in corpus for t in (tokenize(s) if isinstance(s, str) else [list(s)])]
        self._build_vocab(sentences)
        ids, sent = [], []
        for j, s in enumerate(sentences):
            row = [self.index[w] for w in s if w in self.index]
            ids += row
            sent += [j] * len(row)
        ids, sent = np.array(ids, np.int64), np.array(sent, np.int64)
        rng = np.random.default_rng(self.seed)
        cr.manual_seed(self.seed)
        v, d = len(self.vocab), self.dim
        model = nn.Module()
        model.in_embed = nn.Embedding(v, d)
        model.out_embed = nn.Embedding(v, d)
        model.in_embed.weight.data = cr.tensor(rng.uniform(-0.5 / d, 0.5 / d, (v, d)).astype(np.float32))
        model.out_embed.weight.data = cr.zeros(v, d)
        self.model = model
        opt = optim.Adam(model.parameters(), lr=self.lr)
        noise = self.counts.astype(np.float64) ** 0.75
        noise /= noise.sum()
        self.losses = []
        for _ in range(self.epochs):
            centres, contexts = self._pairs(ids, sent, rng)
            if len(centres) == 0:
                if self.subsample and len(self._pairs(ids, sent, None, subsample=False)[0]):
                    raise ValueError(f"Word2Vec: subsampling (subsample={self.subsample}) dropped every "
                                     f"(centre, context) pair of this {len(ids)}-word corpus; pass subsample=0 "
                                     f"on a small corpus")
                raise ValueError("Word2Vec: no (centre, context) pairs: every sentence is a single word")
            order = rng.permutation(len(centres))
            total = 0.0
            for i in range(0, len(order), self.batch_size):
                b = order[i:i + self.batch_size]
                c, o = cr.tensor(centres[b]), cr.tensor(contexts[b])
                vc = model.in_embed(c)
                loss = -F.logsigmoid((vc * model.out_embed(o)).sum(-1)).mean()
                if self.negative:
                    neg = cr.tensor(rng.choice(v, size=(len(b), self.negative), p=noise))
                    scores = (model.out_embed(neg) * vc.unsqueeze(1)).sum(-1)
                    loss = loss - F.logsigmoid(-scores).sum(-1).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(b)
            self.losses.append(total / len(order))
        return self

    def fit_file(self, path, encoding: str = "utf-8") -> Word2Vec:
        """``fit`` on a text file (one sentence per line)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Word2Vec: no text file at {path}")
        return self.fit(path.read_text(encoding=encoding, errors="replace"))

    # -- queries -------------------------------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("Word2Vec: call fit(...) or fit_file(...) first")
        return self.model.in_embed.weight.detach().numpy()

    def __contains__(self, word) -> bool:
        return self.model is not None and (word in self.index or isinstance(word, str) and word.lower() in self.index)

    def __getitem__(self, word) -> np.ndarray:
        return self.vectors[self._id(word)]

    def _id(self, word) -> int:
        if self.model is None:
            raise RuntimeError("Word2Vec: call fit(...) or fit_file(...) first")
        if word not in self.index and isinstance(word, str) and word.lower() in self.index:
            word = word.lower()  # text is lower-cased when tokenized: "Paris" finds "paris"
        if word not in self.index:
            raise KeyError(f"Word2Vec: {word!r} is not in the vocabulary ({len(self.vocab)} words seen at least "
                           f"min_count={self.min_count} times)")
        return self.index[word]

    def _nearest(self, vector, k, exclude):
        from chainrule.embeddings.nearest import nearest

        k = min(k + len(exclude), len(self.vocab))
        values, indices = nearest(vector, self.vectors, k, "cosine")
        out = [(self.vocab[i], float(s)) for s, i in zip(values.tolist(), indices.tolist()) if i not in exclude]
        return out

    def most_similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words with the most similar vectors (cosine similarity), the word itself left out."""
        _check_k(k)
        i = self._id(word)
        return self._nearest(self.vectors[i], k, {i})[:k]

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """``a`` is to ``b`` as ``c`` is to ...? The words nearest (cosine) to ``b - a + c`` over unit vectors,
        leaving out ``a``, ``b`` and ``c`` (3CosAdd)."""
        _check_k(k)
        ids = [self._id(w) for w in (a, b, c)]
        unit = self.vectors[ids] / np.maximum(np.linalg.norm(self.vectors[ids], axis=1, keepdims=True), 1e-8)
        return self._nearest(unit[1] - unit[0] + unit[2], k, set(ids))[:k]
