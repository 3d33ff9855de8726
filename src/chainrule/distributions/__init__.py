"""``chainrule.distributions``: the probability distributions reinforcement-learning and VAE tutorials
use, as ``torch.distributions``: ``Normal``, ``Categorical``, ``Bernoulli``, ``Uniform`` and
``kl_divergence`` for two Normals.

``log_prob`` and ``entropy`` are differentiable in the parameters (REINFORCE's ``-log_prob * reward``);
``rsample`` is the reparameterised sample (``loc + scale * eps``) whose gradient reaches the parameters.
Samples come from chainrule's generator: same distributions as PyTorch, other numbers for a seed.

>>> dist = Categorical(logits=policy(state))  # doctest: +SKIP
>>> action = dist.sample(); loss = -dist.log_prob(action) * reward  # doctest: +SKIP
"""

from chainrule.distributions.distributions import Bernoulli, Categorical, Distribution, Normal, Uniform, kl_divergence

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "kl_divergence"]
