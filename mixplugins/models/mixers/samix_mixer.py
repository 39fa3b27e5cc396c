"""SAMix's Mixer = AMix's Mix Block+ (``docs/methods.md#mixer``, steps 1-6).

AMix ("Improving Discriminative Visual Representation Learning via Automatic Mixup", anonymous ICLR 2022
submission, no arXiv id), sec. 3.2 (Eq. 5), and SAMix (Li et al., "Boosting Discriminative Visual Representation
Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454), sec. 3.2, A.2:

    z_i' = (1 + g lam) z_i,  z_j' = (1 + g (1 - lam)) z_j,           g = clamp(gamma, 0, 1), gamma_0 = 0
    P = softmax((W_P z_c)^T (W_P z_c) / sqrt(d)),                     z_c = concat(z_i', z_j'), d = C/2
    s_i = U(sigmoid(P C_NCL(z_i'))),                                  U bilinear
    s_i <- lambda adjusting (per-sample mean exactly lam),  L_mask = max(|lam - mu| - eps, 0) - var(s_i)
"""
from mmpretrain.registry import MODELS

from .base_mixer import BaseMaskMixer


@MODELS.register_module()
class SAMixMixer(BaseMaskMixer):
    """Mix Block+ / SAMix Mixer. See :class:`BaseMaskMixer` for the arguments and the forward interface.

    Args:
        attention: ``'global'`` for the global attention of Mix Block+ (default), ``'none'`` to ablate it
            (mask = content), ``'cross'`` for AutoMix's cross attention.
    """

    def __init__(self,
                 in_channels: int,
                 lam_encoding: str = 'adaptive',
                 attention: str = 'global',
                 content: str = 'nonlinear',
                 dropout: float = 0.1,
                 upsample: str = 'bilinear',
                 lam_adjust: bool = True,
                 mask_loss_eps: float = 0.1,
                 variance_loss: bool = True,
                 init_cfg=None):
        super().__init__(in_channels, lam_encoding, attention, content, dropout, upsample, lam_adjust, mask_loss_eps,
                         variance_loss, init_cfg)
