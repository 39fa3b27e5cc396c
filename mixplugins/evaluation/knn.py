"""Weighted k-nearest-neighbour classification of frozen features (the kNN monitor of InstDisc / DINO)."""
import torch
import torch.nn.functional as F


def weighted_knn_predict(train_feats: torch.Tensor,
                         train_labels: torch.Tensor,
                         test_feats: torch.Tensor,
                         num_classes: int,
                         k: int = 20,
                         temperature: float = 0.07,
                         chunk_size: int = 1024) -> torch.Tensor:
    """Class scores of weighted kNN with cosine similarity.

    For a test feature ``f`` with neighbours ``N_k(f)`` (the ``k`` most cosine-similar train features),
    ``score_c(f) = sum_{i in N_k(f), y_i = c} exp(cos(f, f_i) / T)``; the prediction is ``argmax_c score_c``.

    Returns:
        Tensor: ``M x num_classes`` scores for the ``M`` test features.
    """
    if k < 1:
        raise ValueError(f'kNN: k must be >= 1, got {k}')
    if temperature <= 0:
        raise ValueError(f'kNN: temperature must be > 0, got {temperature}')
    train_feats = F.normalize(train_feats.float(), dim=1)
    test_feats = F.normalize(test_feats.float(), dim=1)
    k = min(k, train_feats.shape[0])
    scores = []
    for chunk in test_feats.split(chunk_size):
        sim, idx = (chunk @ train_feats.t()).topk(k, dim=1)
        one_hot = F.one_hot(train_labels[idx], num_classes).float()
        scores.append((one_hot * (sim / temperature).exp().unsqueeze(-1)).sum(dim=1))
    return torch.cat(scores)


def knn_top1(train_feats, train_labels, test_feats, test_labels, num_classes, k=20, temperature=0.07) -> float:
    """Top-1 accuracy (in %) of :func:`weighted_knn_predict`."""
    pred = weighted_knn_predict(train_feats, train_labels, test_feats, num_classes, k, temperature).argmax(1)
    return 100.0 * (pred == test_labels).float().mean().item()
