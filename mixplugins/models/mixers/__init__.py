from .automix_block import AutoMixBlock
from .base_mixer import BaseMaskMixer, adjust_mask_mean, mask_loss
from .samix_mixer import SAMixMixer

__all__ = ['AutoMixBlock', 'BaseMaskMixer', 'SAMixMixer', 'adjust_mask_mean', 'mask_loss']
