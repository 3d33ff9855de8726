"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of its optimizer's param groups. Constructing one records each
group's ``initial_lr`` and performs the first step (epoch 0); afterwards call ``scheduler.step()``
once per epoch (or per batch), *after* ``optimizer.step()``::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)              # calls optimizer.step()
        scheduler.step()

Most schedulers are "chainable": ``get_lr()`` derives the next rate from the current ``group["lr"]``,
exactly as PyTorch computes it (so rates agree with PyTorch to the last bit). Passing ``epoch`` to
``step()`` is deprecated, as in PyTorch, and uses the closed form where one exists.
"""

from chainrule.optim.lr_scheduler.cosine import CosineAnnealingLR
from chainrule.optim.lr_scheduler.decay import ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR
from chainrule.optim.lr_scheduler.one_cycle import OneCycleLR
from chainrule.optim.lr_scheduler.plateau import ReduceLROnPlateau
from chainrule.optim.lr_scheduler.scheduler import LRScheduler

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
    "LinearLR", "OneCycleLR", "ReduceLROnPlateau",
]
