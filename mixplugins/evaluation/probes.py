"""Probes of frozen features: weighted kNN (Wu et al., "Unsupervised Feature Learning via Non-Parametric Instance
Discrimination", 2018, arXiv:1805.01978) and a multinomial logistic-regression linear probe."""
import torch

from .knn import knn_top1

KNN_K, KNN_TEMPERATURE = 20, 0.07
LOGREG_C, LOGREG_MAX_ITER = 1.0, 5000


def standardise(train_feats: torch.Tensor, val_feats: torch.Tensor) -> tuple:
    """``(f - mu) / sigma`` of both sets with the per-feature mean ``mu`` and population std ``sigma`` of the
    training features (``sigma = 1`` where it is 0, as scikit-learn's StandardScaler does)."""
    train_feats, val_feats = train_feats.double(), val_feats.double()
    mean, std = train_feats.mean(0), train_feats.std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return (train_feats - mean) / std, (val_feats - mean) / std


def logreg_top1(train_feats, train_labels, val_feats, val_labels, C: float = LOGREG_C) -> float:
    """Linear probe top-1 (%) on the validation features.

    ``p(y | f) = softmax(W f' + b)`` with ``f'`` standardised by the training mean / std, fitted by
    scikit-learn's L-BFGS (multinomial, ``max_iter`` 5000) minimising ``mean CE + ||W||^2 / (2 C N)``.
    """
    from sklearn.linear_model import LogisticRegression
    train_feats, val_feats = standardise(train_feats, val_feats)
    probe = LogisticRegression(C=C, max_iter=LOGREG_MAX_ITER).fit(train_feats.numpy(), train_labels.numpy())
    return 100.0 * float((probe.predict(val_feats.numpy()) == val_labels.numpy()).mean())


def knn_probe_top1(train_feats, train_labels, val_feats, val_labels) -> float:
    """Weighted kNN top-1 (%): k=20, T=0.07, cosine, the training features as memory."""
    num_classes = int(max(train_labels.max(), val_labels.max())) + 1
    return knn_top1(train_feats, train_labels, val_feats, val_labels, num_classes, KNN_K, KNN_TEMPERATURE)


def probe_top1(train_feats, train_labels, val_feats, val_labels) -> dict:
    """``{'knn_top1', 'linear_top1'}`` (%): :func:`knn_probe_top1` and :func:`logreg_top1`."""
    return dict(knn_top1=knn_probe_top1(train_feats, train_labels, val_feats, val_labels),
                linear_top1=logreg_top1(train_feats, train_labels, val_feats, val_labels))
