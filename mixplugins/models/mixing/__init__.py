"""Sample mixing: functional core (:mod:`.functional`), registered policies (``MODELS``) and batch
augments."""
from .batch_augments import FMix, PolicyBatchAugment, SaliencyMix
from .functional import (MixResult, cutmix, fmix, manifold_mix, mixup, pair_indices, resizemix, saliencymix,
                         sample_lambda, sample_stage)
from .manifold import check_manifold_stages, manifold_mix_forward
from .policies import (BaseMixPolicy, CutMixPolicy, FMixPolicy, MixupPolicy, RandomChoicePolicy,
                       ResizeMixPolicy, SaliencyMixPolicy, build_mix_policy, mix_policy_types)
from .pretrained_mixer import PretrainedMixer, PretrainedMixerPolicy, export_pretrained_mixer

__all__ = [
    'MixResult', 'pair_indices', 'sample_lambda', 'sample_stage', 'mixup', 'manifold_mix', 'cutmix',
    'resizemix', 'fmix', 'saliencymix', 'BaseMixPolicy', 'MixupPolicy', 'CutMixPolicy', 'ResizeMixPolicy',
    'FMixPolicy', 'SaliencyMixPolicy', 'RandomChoicePolicy', 'build_mix_policy', 'mix_policy_types', 'FMix',
    'SaliencyMix', 'PolicyBatchAugment', 'PretrainedMixer', 'PretrainedMixerPolicy', 'export_pretrained_mixer',
    'check_manifold_stages', 'manifold_mix_forward'
]
