"""Callbacks for ``chainrule.train.fit``, with Keras's names and meanings; one callback per file.

>>> from chainrule.train.callbacks import EarlyStopping, ModelCheckpoint
"""

from .base import Callback, CallbackList  # noqa: I001 - base first: the others subclass it
from ..history import History
from .backup_and_restore import BackupAndRestore
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .lambda_callback import LambdaCallback
from .lr_scheduler import LRScheduler
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar
from .reduce_lr import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback", "CallbackList", "History", "ProgressBar", "EarlyStopping", "ModelCheckpoint", "LRScheduler",
    "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger", "LambdaCallback", "BackupAndRestore",
]
