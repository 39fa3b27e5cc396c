"""ManifoldMix inside a ResNet-family backbone: the validated mixing stages and the forward that mixes the
output of one stage (the functional mixture is :func:`.functional.manifold_mix`)."""
from typing import Sequence, Tuple

from torch import Tensor

from .functional import MixResult, manifold_mix


def check_manifold_stages(backbone, stages: Sequence[int]) -> Tuple[int, ...]:
    """Validated ManifoldMix stages (key ``stages``): 0 is the input image, ``s >= 1`` the output of residual
    stage ``s`` (1-based) of a ResNet-family backbone."""
    if not hasattr(backbone, 'res_layers'):
        raise ValueError('stages needs a ResNet-family backbone (with res_layers) to mix hidden features of, '
                         f'got {type(backbone).__name__}')
    stages = tuple(stages)
    num = len(backbone.res_layers)
    if not stages or any(not (isinstance(s, int) and 0 <= s <= num) for s in stages):
        raise ValueError(f'stages must be a non-empty list of ints in [0, {num}] (0 = the input image, s = the '
                         f'output of residual stage s), got {stages!r}')
    return stages


def manifold_mix_forward(backbone, x: Tensor, stage: int, lam, index: Tensor) -> Tuple[tuple, MixResult]:
    """Backbone forward with ManifoldMix at ``stage`` (Verma et al., "Manifold Mixup: Better Representations
    by Interpolating Hidden States", ICML 2019, arXiv:1806.05236): ``h = g_k(x)`` the output of stage ``k``
    (``k = 0``: the input), ``h_m = lam h_i + (1 - lam) h_pi(i)`` (:func:`manifold_mix`), and the rest of the
    network on ``h_m``. Returns the backbone's outputs and the :class:`MixResult` of ``h``.

    A forward hook on the residual stage replaces its output by the mixture, so the backbone runs unchanged
    otherwise (mmpretrain's ResNet / ResNet_CIFAR / ResNeXt name their stages in ``res_layers``).
    """
    if stage == 0:
        mix = manifold_mix(x, lam, index)
        return backbone(mix.mixed), mix
    mixes = []

    def mix_output(module, args, output):
        mixes.append(manifold_mix(output, lam, index))
        return mixes[0].mixed

    handle = getattr(backbone, backbone.res_layers[stage - 1]).register_forward_hook(mix_output)
    try:
        outs = backbone(x)
    finally:
        handle.remove()
    return outs, mixes[0]
