"""Tiny model configs and helpers shared by the Un-Mix / BSIM tests: a CIFAR ResNet-18 with 8 base channels (64-d
features), 8-d embeddings, double precision so that reductions hold far below 1e-6."""
import copy

import torch
from mmpretrain.registry import MODELS

import mixplugins  # noqa: F401  (registration)
from mixplugins.models.mixing import BaseMixPolicy, MixupPolicy

BACKBONE = dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8, norm_cfg=dict(type='BN'),
                zero_init_residual=False)
DIM = 8

NECK = dict(type='NonLinearNeck', in_channels=DIM, hid_channels=16, out_channels=DIM, with_avg_pool=False)
BASE_CFGS = dict(
    MoCo=dict(type='MoCo', queue_len=16, feat_dim=DIM, momentum=0.01, backbone=BACKBONE,
              neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=16, out_channels=DIM,
                        with_avg_pool=True),
              head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)),
    SimCLR=dict(type='SimCLR', backbone=BACKBONE,
                neck=dict(NECK, in_channels=64, num_layers=2, with_avg_pool=True),
                head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.1)),
    BYOL=dict(type='BYOL', base_momentum=0.01, backbone=BACKBONE,
              neck=dict(NECK, in_channels=64, num_layers=2, with_bias=True, with_last_bn=False,
                        with_avg_pool=True),
              head=dict(type='LatentPredictHead', loss=dict(type='CosineSimilarityLoss'),
                        predictor=dict(NECK, num_layers=2, with_bias=True, with_last_bn=False))),
    SimSiam=dict(type='SimSiam', backbone=BACKBONE,
                 neck=dict(NECK, in_channels=64, num_layers=3, with_last_bn_affine=False,
                           with_avg_pool=True),
                 head=dict(type='LatentPredictHead', loss=dict(type='CosineSimilarityLoss'),
                           predictor=dict(NECK, hid_channels=4, with_last_bn=False,
                                          with_last_bias=True))),
)

NO_MIX = dict(type='RandomChoicePolicy', policies=[dict(type='MixupPolicy')], probs=[0.0])


def fixed_lam(lam: float, policy_cls=MixupPolicy) -> BaseMixPolicy:
    """A policy of ``policy_cls`` whose Beta draw is replaced by the fixed nominal ``lam`` (test double)."""

    class FixedLam(policy_cls):

        def sample_lam(self, batch_size, generator, device):
            return torch.tensor(lam, device=device)

    return FixedLam()


def build(base: str, algorithm: str = None, **kwargs):
    """The upstream ``base`` model (algorithm None) or ``algorithm`` on the same config, in double, train
    mode."""
    cfg = copy.deepcopy(BASE_CFGS[base])
    if algorithm is not None:
        cfg.update(type=algorithm, **kwargs)
    model = MODELS.build(cfg).double()
    model.train()
    return model


def upstream_and(base: str, algorithm: str, **kwargs):
    """(upstream model, ``algorithm`` model with the same weights and buffers)."""
    torch.manual_seed(0)
    upstream = build(base)
    ours = build(base, algorithm, **kwargs)
    ours.load_state_dict(upstream.state_dict())
    return upstream, ours


def views(batch_size: int = 4, size: int = 8, seed: int = 1):
    """Two deterministic random views, N x 3 x size x size, double."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch_size, 3, size, size, generator=g, dtype=torch.float64) for _ in range(2)]


def total(losses: dict) -> torch.Tensor:
    """Sum of the loss terms (what mmengine's ``parse_losses`` optimises)."""
    return sum(losses.values())


def run_loss(model, inputs, seed: int = 0) -> dict:
    """``model.loss`` with a fixed global seed (MoCo's batch shuffle and the policies draw from it)."""
    torch.manual_seed(seed)
    return model.loss([x.clone() for x in inputs], None)
