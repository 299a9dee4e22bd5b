"""Gradient inversion attacks (Sec. 2.3): GIA-O (Definition 1) and label inference.

One optimisation engine (``engine.invert``) serves every mix of objective,
priors, parameterisation and threat model; the attacks of the paper are config
entries: G (matching only), G_TV, G_BN, G_TV_BN ...
"""

from gialib.attacks.spec import AttackSpec, ThreatSpec

__all__ = ["AttackSpec", "ThreatSpec"]
