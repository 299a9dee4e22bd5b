"""(epsilon, delta) of the Gaussian mechanism, the accounting behind ``noise`` with a ``bound``.

A clipped, noised update (``noise+bound=C+sigma=s``) is the Gaussian mechanism with
L2 sensitivity 2C: under local DP the neighbouring inputs are any two datasets of the
client, whose clipped updates lie anywhere in the ball of radius C. Epsilon is
computed for one shared update (one round) with the analytic Gaussian mechanism of
Balle and Wang (ICML 2018, Theorem 8), which is exact, unlike the classical
sqrt(2 ln(1.25/delta)) bound that holds only for epsilon < 1. Composition over the
rounds a client takes part in is not included.
"""

from __future__ import annotations

import math


def gaussian_delta(epsilon: float, sigma: float, sensitivity: float) -> float:
    """The smallest delta for which N(0, sigma^2) noise on an L2-``sensitivity`` query is (eps, delta)-DP."""
    from scipy.stats import norm

    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    # Phi(a - b) - e^eps Phi(-a - b), the second term in log space (e^eps overflows first).
    return float(norm.cdf(a - b) - math.exp(epsilon + norm.logcdf(-a - b)))


def gaussian_epsilon(sigma: float, sensitivity: float, delta: float) -> float:
    """The smallest epsilon with ``gaussian_delta(epsilon) <= delta`` (inf for sigma = 0)."""
    from scipy.optimize import brentq

    if sigma <= 0:
        return math.inf
    if gaussian_delta(0.0, sigma, sensitivity) <= delta:
        return 0.0
    high = 1.0
    while gaussian_delta(high, sigma, sensitivity) > delta:
        high *= 2
    return float(brentq(lambda e: gaussian_delta(e, sigma, sensitivity) - delta, 0.0, high,
                        xtol=1e-10, rtol=1e-10))
