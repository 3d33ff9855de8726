"""The recommender's default hyperparameters (a module without imports: the command line reads it cheaply).

Tuned on MovieLens-100K-shaped synthetic data (scripts/movielens_table.py --synthetic; docs/embeddings.md).
"""

# weight_decay None: WEIGHT_DECAY_PER_RATING / (number of training ratings), 3e-4 for MovieLens 100K's 76,000. Adam's
# L2 penalty acts on every step, and an epoch has as many steps as the table has batches, so a fixed value
# would regularise a big table much more than a small one; scaled, it weighs the same against the data.
WEIGHT_DECAY_PER_RATING = 23.0
DEFAULTS = {"dim": 32, "epochs": 100, "lr": 3e-3, "weight_decay": None, "batch_size": 256, "patience": 3}
