"""Embeddings: exact nearest-neighbour search, word vectors, and pictures of what a network's embeddings hold.

- ``nearest(query, table, k, metric)``: exact k-NN over a table of vectors in bounded memory.
- ``Word2Vec``: skip-gram with negative sampling on a text file, ``most_similar`` and ``analogy``.
- ``image_embeddings`` / ``embed_run``: penultimate-layer embeddings of a trained run, a 2-D map and a
  grid of nearest-neighbour images (``chainrule embed RUN_DIR``).
"""

from chainrule.embeddings.images import embed_run, image_embeddings, neighbour_agreement, pca_2d
from chainrule.embeddings.nearest import METRICS, Neighbors, nearest
from chainrule.embeddings.word2vec import Word2Vec, tokenize

__all__ = ["METRICS", "Neighbors", "Word2Vec", "embed_run", "image_embeddings", "nearest", "neighbour_agreement",
           "pca_2d", "tokenize"]
