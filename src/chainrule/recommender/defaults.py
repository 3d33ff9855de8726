"""The recommender's default hyperparameters (a module without imports: the command line reads it cheaply).

Tuned on MovieLens-100K-shaped synthetic data (scripts/movielens_table.py --synthetic; docs/embeddings.md).
"""

DEFAULTS = {"dim": 32, "epochs": 40, "lr": 3e-3, "weight_decay": 3e-4, "batch_size": 256, "patience": 3}
