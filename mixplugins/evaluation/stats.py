"""Seed statistics of the results tables: mean ± sample std, Student's t interval for a method's mean minus a
fixed reference (a seed-independent baseline; Student, "The probable error of a mean", Biometrika 6, 1908; no arXiv
id), and Welch's t interval for the difference of two methods' means (B. L. Welch, "The generalization of
'Student's' problem when several different population variances are involved", Biometrika 34, 1947; no arXiv id)."""
import math


def mean_std(values) -> tuple:
    """``(m, s)`` of ``n >= 1`` values: ``m = sum x_i / n``, the sample std ``s = sqrt(sum (x_i - m)^2 / (n - 1))``;
    ``s`` is None for a single value (a spread needs two seeds)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError('mean_std: no values')
    n = len(values)
    mean = sum(values) / n
    if n == 1:
        return mean, None
    return mean, math.sqrt(sum((v - mean)**2 for v in values) / (n - 1))


def welch_df(variant, base) -> float:
    """Welch–Satterthwaite degrees of freedom ``(a + b)^2 / (a^2 / (n1 - 1) + b^2 / (n2 - 1))`` with
    ``a = s1^2 / n1``, ``b = s2^2 / n2`` (``variant``: 1, ``base``: 2; both need ``n >= 2`` and a nonzero
    spread)."""
    a, b = (mean_std(x)[1]**2 / len(x) for x in (variant, base))
    return (a + b)**2 / (a**2 / (len(variant) - 1) + b**2 / (len(base) - 1))


def offset_ci(values, reference: float, level: float = 0.95) -> tuple:
    """``(d, lo, hi)``: the mean minus a fixed ``reference``, ``d = m - r``, and its Student t interval
    ``d ± t_{(1 + level) / 2, n - 1} * s / sqrt(n)`` (``values``: ``n >= 2``). If the spread is 0 the interval is
    the point ``d``."""
    from scipy.stats import t
    if len(values) < 2:
        raise ValueError(f'offset_ci: needs two values, got {len(values)}')
    mean, std = mean_std(values)
    half = float(t.ppf((1 + level) / 2, len(values) - 1)) * std / math.sqrt(len(values))
    return mean - reference, mean - reference - half, mean - reference + half


def diff_ci(variant, base, level: float = 0.95) -> tuple:
    """``(d, lo, hi)``: the difference of means ``d = m1 - m2`` (``variant`` minus ``base``) and its Welch t
    interval ``d ± t_{(1 + level) / 2, nu} * sqrt(s1^2 / n1 + s2^2 / n2)``, ``nu`` = :func:`welch_df`.

    Both lists need ``n >= 2`` values. If both spreads are 0 the interval is the point ``d``."""
    from scipy.stats import t
    if len(variant) < 2 or len(base) < 2:
        raise ValueError(f'diff_ci: needs two values per side, got {len(variant)} and {len(base)}')
    (m1, s1), (m2, s2) = mean_std(variant), mean_std(base)
    diff = m1 - m2
    se = math.sqrt(s1**2 / len(variant) + s2**2 / len(base))
    if se == 0:
        return diff, diff, diff
    half = float(t.ppf((1 + level) / 2, welch_df(variant, base))) * se
    return diff, diff - half, diff + half


def is_resolved(lo: float, hi: float) -> bool:
    """True if the interval ``[lo, hi]`` excludes 0 (the difference is resolved, not within noise)."""
    return lo > 0 or hi < 0
