"""Word2Vec on generated corpora with planted structure: topic clusters and additive analogies."""

import itertools

import numpy as np
import pytest

from chainrule.embeddings import Word2Vec


def topic_corpus(topics=6, per=8, sentences=800, seed=0):
    """Each sentence draws 8 words from one topic: words of a topic share all their contexts."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(sentences):
        t = rng.integers(topics)
        lines.append(" ".join(f"t{t}w{j}" for j in rng.integers(per, size=8)))
    return "\n".join(lines)


def analogy_corpus(countries=5, sentences=500, seed=0):
    """A word ``<role><country>`` (cap3, cur3, lang3) appears with 3 words of its country and 3 of its role."""
    rng = np.random.default_rng(seed)
    roles = ["cap", "cur", "lang"]
    lines = []
    for _ in range(sentences):
        c, r = rng.integers(countries), rng.integers(3)
        words = ([f"{roles[r]}{c}"] + [f"country{c}ctx{j}" for j in rng.integers(4, size=3)]
                 + [f"{roles[r]}ctx{j}" for j in rng.integers(4, size=3)])
        rng.shuffle(words)
        lines.append(" ".join(words))
    return "\n".join(lines), roles


def test_words_of_a_topic_are_each_others_nearest_neighbours(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text(topic_corpus())
    w2v = Word2Vec(dim=16, window=2, epochs=2, lr=0.02, subsample=0, seed=0).fit_file(path)
    assert len(w2v.vocab) == 48 and w2v.vectors.shape == (48, 16)
    assert w2v.losses[-1] < w2v.losses[0]
    hits = [n.startswith(f"t{t}w") for t in range(6) for j in range(8) for n, _ in w2v.most_similar(f"t{t}w{j}", 5)]
    assert np.mean(hits) > 0.95
    similar = w2v.most_similar("t0w0", 3)
    assert len(similar) == 3 and all(word != "t0w0" for word, _ in similar)
    assert similar[0][1] >= similar[1][1] >= similar[2][1]


def test_planted_analogies_come_back():
    text, roles = analogy_corpus()
    w2v = Word2Vec(dim=24, window=6, epochs=6, subsample=0, lr=0.02, seed=0).fit(text)
    asked = [(f"{r1}{a}", f"{r2}{a}", f"{r1}{b}", f"{r2}{b}")
             for a, b in itertools.permutations(range(5), 2) for r1, r2 in itertools.permutations(roles, 2)]
    correct = [w2v.analogy(x, y, z)[0][0] == want for x, y, z, want in asked]
    assert np.mean(correct) > 0.9
    assert w2v.analogy("cap0", "cur0", "cap1", k=3)[0][0] == "cur1"


def test_reproducible_and_clear_errors():
    text = topic_corpus(topics=2, per=4, sentences=60)
    a = Word2Vec(dim=8, epochs=1, seed=3).fit(text)
    b = Word2Vec(dim=8, epochs=1, seed=3).fit(text)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    with pytest.raises(KeyError, match="'paris' is not in the vocabulary"):
        a.most_similar("paris")
    with pytest.raises(RuntimeError, match="fit"):
        Word2Vec().most_similar("t0w0")
    with pytest.raises(ValueError, match="dim must be a positive integer, got 0"):
        Word2Vec(dim=0)
    with pytest.raises(ValueError, match="at least 2 are needed"):
        Word2Vec().fit("same same same")
    with pytest.raises(FileNotFoundError, match="no text file"):
        Word2Vec().fit_file("/nonexistent/corpus.txt")


def test_small_corpus_errors_name_the_cause_and_bad_arguments_are_refused():
    # subsampling drops every word of a tiny corpus: the message says so, not "a single word"
    with pytest.raises(ValueError, match=r"subsampling \(subsample=0.001\) dropped every .* pass subsample=0"):
        Word2Vec(dim=4, epochs=1).fit("the cat sat on the mat")
    with pytest.raises(ValueError, match="every sentence is a single word"):
        Word2Vec(dim=4, epochs=1, subsample=0).fit("cat\nmat")
    with pytest.raises(ValueError, match="lr must be a positive number, got -1"):
        Word2Vec(lr=-1)
    with pytest.raises(ValueError, match="subsample must be a number >= 0"):
        Word2Vec(subsample=-0.1)
    w = Word2Vec(dim=4, epochs=1, subsample=0).fit(["the cat sat", "on the mat"])  # strings are sentences
    assert sorted(w.vocab) == ["cat", "mat", "on", "sat", "the"]
    assert "Cat" in w and np.array_equal(w["CAT"], w["cat"])  # the text was lower-cased, so is the lookup
    assert w.most_similar("Cat", k=4) == w.most_similar("cat", k=4)
    for call in (lambda: w.most_similar("cat", k=0), lambda: w.analogy("cat", "sat", "mat", k=-1)):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            call()
