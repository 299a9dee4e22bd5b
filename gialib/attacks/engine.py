"""The optimisation engine shared by every optimisation-based GIA.

Minimises  objective(simulate(P(z), y), shared) + sum_k w_k * prior_k(P(z))
over the parameterisation's variables z (pixels for GIA-O, Definition 1; a
generator's latent for GIA-L, Definition 2) with Adam (optionally on the signed
gradient), a learning-rate schedule, a box/feasibility projection after each
step, and restarts of which the lowest final loss is kept.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import torch

from gialib.attacks.objectives import OBJECTIVES
from gialib.attacks.params import ImageParam
from gialib.attacks.priors import PRIORS, PriorContext
from gialib.attacks.problem import InversionProblem
from gialib.attacks.spec import AttackSpec
from gialib.runtime import derive_seed, generator

log = logging.getLogger(__name__)


@dataclass
class InversionResult:
    images: torch.Tensor
    labels: torch.Tensor
    loss: float
    restart: int
    seconds: float
    iterations: int
    history: list[dict[str, float]] = field(default_factory=list)


SCHEDULES = {
    # Geiping et al.: decay by 10 at 3/8, 5/8 and 7/8 of the run
    "multistep": lambda opt, n: torch.optim.lr_scheduler.MultiStepLR(
        opt, milestones=[int(n * f) for f in (3 / 8, 5 / 8, 7 / 8)], gamma=0.1),
    "cosine": lambda opt, n: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n),
    "none": lambda opt, n: None,
}
OPTIMIZERS = {
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
}


def _pick(table: dict, name: str, what: str):
    if name not in table:
        raise ValueError(f"unknown attack {what} {name!r}; known: {', '.join(table)}")
    return table[name]


def invert(problem: InversionProblem, param: ImageParam, labels: torch.Tensor, spec: AttackSpec,
           seed: int) -> InversionResult:
    """Run ``spec.restarts`` optimisations of ``param``; keep the one with the lowest loss."""
    objective = OBJECTIVES.get(spec.objective)(problem.target)
    priors = [(PRIORS.get(name)(), float(w)) for name, w in sorted(spec.priors.items()) if w > 0]
    record_bn = any(p.needs_bn for p, _ in priors)
    client_bn = problem.update.bn_statistics if record_bn else None

    def total_loss() -> tuple[torch.Tensor, torch.Tensor]:
        x = param()
        simulated, stats = problem.simulate(x, labels, record_bn=record_bn)
        match = objective(simulated)
        loss = match
        if priors:
            ctx = PriorContext(dummy_bn=stats, client_bn=client_bn)
            for prior, weight in priors:
                loss = loss + weight * prior(x, ctx)
        return loss, match

    best: InversionResult | None = None
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    for restart in range(spec.restarts):
        # dropout masks in the simulated forward come from the global RNG: seed it per restart
        torch.manual_seed(derive_seed(seed, restart, 11))
        param.reset(generator(seed, restart, 12))
        variables = list(param.parameters())
        opt = _pick(OPTIMIZERS, spec.optimizer, "optimizer")(variables, spec.lr)
        sched = _pick(SCHEDULES, spec.schedule, "schedule")(opt, spec.iterations)
        t0 = time.perf_counter()
        for it in range(1, spec.iterations + 1):
            opt.zero_grad(set_to_none=True)
            loss, match = total_loss()
            # Gradients to the attack's variables only: the simulated model's parameter
            # copies are leaves that require grad, and a plain backward() would also
            # accumulate a gradient into each of them that nobody reads.
            loss.backward(inputs=variables)
            if spec.signed:
                for p in variables:
                    p.grad.sign_()
            opt.step()
            if sched is not None:
                sched.step()
            param.project()
            if it % spec.log_every == 0 or it == spec.iterations:
                row = {"restart": restart, "iteration": it, "loss": loss.item(),
                       "matching": match.item(), "seconds": time.perf_counter() - t0}
                history.append(row)
                log.info("restart %d iteration %d/%d loss %.5f matching %.5f (%.1fs)", restart, it,
                         spec.iterations, row["loss"], row["matching"], row["seconds"])
        with torch.no_grad():
            images = param().detach().clone()
        final, _ = total_loss()
        final = float(final.detach())
        if best is None or final < best.loss:
            best = InversionResult(images, labels.clone(), final, restart, 0.0, spec.iterations)
    assert best is not None
    best.seconds = time.perf_counter() - start
    best.history = history
    return best
