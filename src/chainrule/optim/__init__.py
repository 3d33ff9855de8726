"""Optimizers (``chainrule.optim``) and learning-rate schedulers (``chainrule.optim.lr_scheduler``).

Each optimizer mirrors its ``torch.optim`` namesake: same arguments, defaults, state names and
update formulas, so ``optim.Adam(model.parameters(), lr=1e-3)`` trains exactly as in PyTorch.
"""

from chainrule.optim import lr_scheduler
from chainrule.optim.adadelta import Adadelta
from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam
from chainrule.optim.adamw import AdamW
from chainrule.optim.lbfgs import LBFGS
from chainrule.optim.nadam import NAdam, Nadam
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "NAdam", "Nadam",
    "lr_scheduler",
]
__all__ += ["LBFGS"]
