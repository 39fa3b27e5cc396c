"""Per-class linear SVMs on frozen features, scored by average precision (VOC07 SVM and low-shot SVM, BSIM: Chu et
al., "A Unified Mixture-View Framework for Unsupervised Representation Learning", 2022, arXiv:2011.13356,
supplementary sec. 3.2; hyper-parameters of FAIR's self-supervision benchmark, which the paper follows: Goyal et al.,
"Scaling and Benchmarking Self-Supervised Visual Representation Learning", ICCV 2019, arXiv:1905.01235).

For each class c a binary ``LinearSVC`` (L2 penalty, squared hinge loss, positive class weight 2, negative 1)
is trained on L2-normalised features, positives = label 1, negatives = label 0 (difficult-only images, label
-1, are left out). The cost C is chosen from ``costs`` by stratified k-fold cross-validation of the AP on the
training set (k = min(3, #positives, #negatives)); with a single positive (1-shot) or a single cost, the
middle cost is used.
"""
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import LinearSVC

LOW_SHOT_SIZES = (1, 2, 4, 8, 16, 32, 64, 96)
DEFAULT_COSTS = (0.01, 0.1, 1.0, 10.0, 100.0)
CV_FOLDS = 3


def l2_normalise(feats: np.ndarray, eps: float = 1e-10) -> np.ndarray:
    """``f / max(||f||_2, eps)`` row by row."""
    return feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), eps)


def voc_average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Area under the interpolated precision-recall curve (VOC 2010+ "all points" AP, FAIR's benchmark).

    With images sorted by decreasing score, ``p_k`` / ``r_k`` the precision / recall of the top k and
    ``p_interp(r) = max_{k: r_k >= r} p_k``: ``AP = sum_k (r_k - r_{k-1}) * p_interp(r_k)``.
    ``targets`` are 1 (positive) / 0 (negative); at least one must be positive.
    """
    targets = np.asarray(targets)
    num_pos = int((targets == 1).sum())
    if num_pos == 0:
        raise ValueError('average precision needs at least one positive target')
    hits = (targets[np.argsort(-np.asarray(scores), kind='stable')] == 1).astype(np.float64)
    true_pos = np.cumsum(hits)
    precision = true_pos / np.arange(1, len(hits) + 1)
    recall = true_pos / num_pos
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    recall_steps = np.diff(np.concatenate([[0.0], recall]))
    return float((recall_steps * envelope).sum())


def low_shot_indices(labels: np.ndarray, num_shots: int, rng: np.random.RandomState) -> np.ndarray:
    """Training images of one class in the N-shot setting: ``num_shots`` positives drawn without replacement,
    plus every negative (label 0); difficult-only images (label -1) are dropped. Sorted indices."""
    positives = np.flatnonzero(labels == 1)
    if num_shots < 1 or num_shots > len(positives):
        raise ValueError(
            f'low-shot N must be in [1, {len(positives)}] (the positives of the class), got {num_shots}')
    chosen = rng.choice(positives, size=num_shots, replace=False)
    return np.sort(np.concatenate([chosen, np.flatnonzero(labels == 0)]))


def _make_svm(cost: float, seed: int) -> LinearSVC:
    return LinearSVC(C=cost,
                     class_weight={
                         1: 2,
                         0: 1
                     },
                     penalty='l2',
                     loss='squared_hinge',
                     dual=True,
                     tol=1e-4,
                     max_iter=2000,
                     random_state=seed)


def choose_cost(feats: np.ndarray, targets: np.ndarray, costs, seed: int) -> float:
    """The cost with the best mean cross-validated AP on (feats, targets); see the module docstring."""
    costs = tuple(costs)
    folds = min(CV_FOLDS, int((targets == 1).sum()), int((targets == 0).sum()))
    if len(costs) == 1 or folds < 2:
        return costs[len(costs) // 2]
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    cv_ap = [
        cross_val_score(_make_svm(c, seed), feats, targets, cv=cv, scoring='average_precision').mean()
        for c in costs
    ]
    return costs[int(np.argmax(cv_ap))]


def train_and_test_svms(train_feats,
                        train_labels,
                        test_feats,
                        test_labels,
                        classes,
                        costs=DEFAULT_COSTS,
                        num_shots=None,
                        seed=0) -> dict:
    """Train one SVM per class (on ``num_shots`` positives per class if given) and test it.

    Labels are ``N x C`` matrices in {1, 0, -1} (voc_data.read_labels). Returns
    ``dict(mAP=, ap={class: AP}, cost={class: C})`` with APs in %, over the test images that are not
    difficult-only for the class.
    """
    if not costs or min(costs) <= 0:
        raise ValueError(f'costs must be a non-empty list of SVM costs C > 0, got {costs}')
    train_feats, test_feats = l2_normalise(train_feats), l2_normalise(test_feats)
    rng = np.random.RandomState(seed)
    ap, chosen_cost = {}, {}
    for c, name in enumerate(classes):
        train_col, test_col = train_labels[:, c], test_labels[:, c]
        if not (train_col == 1).any() or not (train_col == 0).any():
            raise ValueError(f'class {name!r} needs positive and negative training images, got '
                             f'{int((train_col == 1).sum())} / {int((train_col == 0).sum())}')
        if not (test_col == 1).any():
            raise ValueError(f'class {name!r} has no positive test image: its AP is undefined')
        train_idx = (np.flatnonzero(
            train_col >= 0) if num_shots is None else low_shot_indices(train_col, num_shots, rng))
        feats, targets = train_feats[train_idx], train_col[train_idx]
        chosen_cost[name] = choose_cost(feats, targets, costs, seed)
        svm = _make_svm(chosen_cost[name], seed).fit(feats, targets)
        test_idx = np.flatnonzero(test_col >= 0)
        ap[name] = 100.0 * voc_average_precision(svm.decision_function(test_feats[test_idx]),
                                                 test_col[test_idx])
    return dict(mAP=float(np.mean(list(ap.values()))), ap=ap, cost=chosen_cost)


def svm_trials(train_feats,
               train_labels,
               test_feats,
               test_labels,
               classes,
               costs=DEFAULT_COSTS,
               num_shots=None,
               trials=3,
               seed=0) -> dict:
    """``trials`` independent runs (seeds ``seed + t``: low-shot samples, CV folds, SVM solver) and their
    ``mean`` / ``std`` mAP (population std over the trials)."""
    if trials < 1:
        raise ValueError(f'trials must be >= 1, got {trials}')
    runs = [
        train_and_test_svms(train_feats, train_labels, test_feats, test_labels, classes, costs, num_shots,
                            seed + t) for t in range(trials)
    ]
    maps = np.array([run['mAP'] for run in runs])
    return dict(mean=float(maps.mean()),
                std=float(maps.std()),
                trials=[float(m) for m in maps],
                num_shots=num_shots,
                runs=runs)
