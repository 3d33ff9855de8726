"""Training, evaluation and prediction: ``fit`` with Keras-style callbacks, ``evaluate``, ``predict``.

>>> from chainrule.train import fit, evaluate
>>> from chainrule.train.callbacks import EarlyStopping
>>> history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), train, epochs=50,
...               val_split=0.1, seed=0, callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
>>> print(evaluate(model, test).summary())
"""

from . import callbacks, metrics  # noqa: I001 - a compact wrapped block, as the code keeps them
from .callbacks import (
    BackupAndRestore, Callback, CallbackList, CSVLogger, EarlyStopping, LambdaCallback, LRScheduler, ModelCheckpoint,
    ProgressBar, ReduceLROnPlateau, TerminateOnNaN,
)
from .callbacks.history import History
from .evaluate import evaluate, predict, predict_proba
from .guards import NonFiniteError
from .loop import fit
from .metrics import Evaluation, accuracy, confusion_matrix, per_class_accuracy, wilson_interval

__all__ = [
    "fit", "evaluate", "predict", "predict_proba", "History", "Evaluation",
    "accuracy", "wilson_interval", "confusion_matrix", "per_class_accuracy",
    "Callback", "CallbackList", "ProgressBar", "EarlyStopping", "ModelCheckpoint", "LRScheduler",
    "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger", "LambdaCallback", "BackupAndRestore", "NonFiniteError",
    "callbacks", "metrics",
]
