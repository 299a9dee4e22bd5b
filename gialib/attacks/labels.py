"""Label inference from the last layer's gradient (Level 0: the adversary needs nothing else).

With non-negative features h_i (a ReLU before the classifier) and cross-entropy,
the gradient of class c's weight row is sum_i (p_ic - y_ic) h_i / N and of its bias
sum_i (p_ic - y_ic) / N: positive for every class absent from the batch, so the
negative entries mark classes present in the batch.

- ``idlg``: one sample (Zhao et al., iDLG): the label is the only negative class;
  exact for N = 1.
- ``restore_batch_labels``: a batch (class-wise restoration, Yin et al.; counts as
  in LLG, Wainakh et al.): every negative class once, the remaining slots to the
  classes whose entries stay most negative after removing one sample's mean impact.
  Exact when the N labels are distinct and each present class has sum_i p_ic < n_c
  (e.g. near the uniform prediction of an untrained model).
"""

from __future__ import annotations

import torch

from gialib.fl.update import ClientUpdate


def class_signal(update: ClientUpdate, weight: str, bias: str | None) -> torch.Tensor:
    """Per-class last-layer signal with the sign of a gradient (a model update points the other way)."""
    sign = 1.0 if update.kind == "gradient" else -1.0
    if bias is not None and bias in update.tensors:
        return sign * update.tensors[bias].detach().double()
    return sign * update.tensors[weight].detach().double().sum(dim=1)


def idlg(signal: torch.Tensor) -> torch.Tensor:
    return signal.argmin().view(1)


def restore_batch_labels(signal: torch.Tensor, num_examples: int) -> torch.Tensor:
    negative = torch.nonzero(signal < 0).flatten()
    if len(negative) >= num_examples:
        chosen = negative[signal[negative].argsort()[:num_examples]].tolist()
    else:
        s = signal.clone()
        impact = s[negative].sum() / num_examples if len(negative) else s.min()
        chosen = negative.tolist()
        s[negative] -= impact
        while len(chosen) < num_examples:
            c = int(s.argmin())
            chosen.append(c)
            s[c] -= impact
    return torch.tensor(sorted(chosen), dtype=torch.int64)


def infer_labels(update: ClientUpdate, weight: str, bias: str | None) -> torch.Tensor:
    """Labels of the victim's N images, restored from the shared update (sorted by class)."""
    signal = class_signal(update, weight, bias)
    if update.num_examples == 1:
        return idlg(signal)
    return restore_batch_labels(signal, update.num_examples)
