"""Callbacks for ``chainrule.train.fit``, with Keras's names and meanings; one callback per file.

>>> from chainrule.train.callbacks import EarlyStopping, ModelCheckpoint
"""

from .backup_and_restore import BackupAndRestore
from .base import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .lr_scheduler import LRScheduler
from .model_checkpoint import ModelCheckpoint
from .monitor import MonitorCallback
from .progress import ProgressBar
from .reduce_lr import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback", "CallbackList", "History", "ProgressBar", "EarlyStopping", "ModelCheckpoint", "LRScheduler",
    "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger", "LambdaCallback", "BackupAndRestore", "MonitorCallback",
]
