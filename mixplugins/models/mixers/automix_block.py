"""AutoMix's original MixBlock, the baseline of Mix Block+ (``docs/methods.md#mixer``): Liu et al., "AutoMix:
Unveiling the Power of Mixup for Stronger Classifiers", ECCV 2022, arXiv:2103.13027.

As AMix ("Improving Discriminative Visual Representation Learning via Automatic Mixup", anonymous ICLR 2022
submission, no arXiv id) describes it in sec. 3.2:

    z_i' = concat(z_i, lam),  z_j' = concat(z_j, 1 - lam)
    P = softmax((W_P z_i')^T (W_P z_j') / sqrt(d)),   C_i = W_Z z_i'  (linear 1x1 conv)
    s_i = U(sigmoid(P C_i)),  U nearest,  L_mask = max(|lam - mu| - eps, 0)   (no variance term, no adjusting)
"""
from mmpretrain.registry import MODELS

from .base_mixer import BaseMaskMixer


@MODELS.register_module()
class AutoMixBlock(BaseMaskMixer):
    """AutoMix MixBlock. Same forward interface and output dict as :class:`SAMixMixer`.

    Args:
        attention: ``'cross'`` (AutoMix), ``'global'`` or ``'none'``; the other flags as in
            :class:`BaseMaskMixer`.
    """

    def __init__(self,
                 in_channels: int,
                 lam_encoding: str = 'concat',
                 attention: str = 'cross',
                 content: str = 'linear',
                 dropout: float = 0.0,
                 upsample: str = 'nearest',
                 lam_adjust: bool = False,
                 mask_loss_eps: float = 0.1,
                 variance_loss: bool = False,
                 init_cfg=None):
        super().__init__(in_channels, lam_encoding, attention, content, dropout, upsample, lam_adjust, mask_loss_eps,
                         variance_loss, init_cfg)
