"""ManifoldMix: the mixed backbone forward at every stage, the supervised mixup CE and the MoCo v2 mixture by hand,
the lam in {0, 1} reductions to the upstream losses, and the digits configs training a step."""
import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.models import ImageClassifier, MoCo
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mixplugins  # noqa: F401
from mixplugins.models.mixing.functional import mix_scores
from mixplugins.models.mixing import manifold_mix_forward

REPO = Path(__file__).resolve().parents[1]
N, SIZE = 4, 16
BACKBONE = dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8)
FLIP = torch.arange(N - 1, -1, -1)


def build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


def images(seed=0):
    return torch.randn(N, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))


def by_hand_forward(backbone, x, stage, lam, index):
    """ResNet_CIFAR's forward written out, ``h <- lam h + (1 - lam) h[index]`` after ``stage`` stages."""
    h = x
    if stage == 0:
        h = lam * h + (1 - lam) * h[index]
    h = backbone.relu(backbone.norm1(backbone.conv1(h)))
    for i, name in enumerate(backbone.res_layers):
        h = getattr(backbone, name)(h)
        if i + 1 == stage:
            h = lam * h + (1 - lam) * h[index]
    return h


def test_mix_scores_by_hand():
    scores = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mixed = mix_scores(scores, torch.tensor([0.25, 0.75]), torch.tensor([1, 0]))
    assert torch.allclose(mixed, torch.tensor([[0.25, 0.75], [0.25, 0.75]]))


@pytest.mark.parametrize('stage', [0, 1, 2, 3, 4])
def test_forward_mixes_the_output_of_the_stage(stage):
    backbone = build(BACKBONE)
    backbone.eval()  # (mmpretrain's ResNet.train returns None)
    x = images()
    with torch.no_grad():
        outs, mix = manifold_mix_forward(backbone, x, stage, torch.tensor([0.3]), FLIP)
        expected = by_hand_forward(backbone, x, stage, 0.3, FLIP)
        assert torch.allclose(outs[-1], expected, atol=1e-5)
        assert torch.allclose(mix.lam, torch.full((N, ), 0.3)) and torch.equal(mix.index, FLIP)
        assert bool((mix.mask == 0.3).all()) and mix.lam_source == 'mask_mean'
        # lam = 1 is the plain forward, lam = 0 the forward of the partners (BN in eval mode: per sample)
        plain = backbone(x)[-1]
        assert torch.allclose(manifold_mix_forward(backbone, x, stage, 1.0, FLIP)[0][-1], plain, atol=1e-5)
        assert torch.allclose(manifold_mix_forward(backbone, x, stage, 0.0, FLIP)[0][-1], plain[FLIP], atol=1e-5)
    # the hook is removed: the backbone runs unmixed afterwards
    assert all(not getattr(backbone, name)._forward_hooks for name in backbone.res_layers)


CLASSIFIER = dict(type='ManifoldMixClassifier', backbone=BACKBONE, neck=dict(type='GlobalAveragePooling'),
                  head=dict(type='LinearClsHead', num_classes=3, in_channels=64), stages=(0, 1, 2))


def cls_samples():
    return [DataSample().set_gt_label(y) for y in (0, 1, 2, 1)]


def fixed_draw(model, lam, stage, index=FLIP):
    model.draw_manifold_mix = lambda n, device: (torch.tensor([lam]), index, stage)


@pytest.mark.parametrize('stage', [0, 2])
def test_classifier_loss_is_the_mixup_ce_of_the_mixed_forward(stage):
    model = build(CLASSIFIER)
    model.eval()
    fixed_draw(model, 0.3, stage)
    x = images()
    loss = model.loss(x, cls_samples())['loss']
    log_p = F.log_softmax(model.head.fc(by_hand_forward(model.backbone, x, stage, 0.3, FLIP).mean((2, 3))), 1)
    y = torch.tensor([0, 1, 2, 1])
    expected = -(0.3 * log_p[torch.arange(N), y] + 0.7 * log_p[torch.arange(N), y[FLIP]]).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize('lam, stage', [(1.0, 1), (0.0, 2)])
def test_classifier_reduces_to_the_upstream_loss(lam, stage):
    """lam = 1: no mixing; lam = 0: every sample replaced by its partner, label included (the batch mean is
    the same). Either way the upstream ImageClassifier loss, BN in training mode."""
    model = build(CLASSIFIER)
    model.train()
    fixed_draw(model, lam, stage)
    x = images()
    upstream = ImageClassifier.loss(model, x, cls_samples())['loss']
    assert model.loss(x, cls_samples())['loss'].item() == pytest.approx(upstream.item(), rel=1e-5)


MOCO = dict(type='ManifoldMixMoCo', queue_len=16, feat_dim=8, backbone=BACKBONE,
            neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=16, out_channels=8, with_avg_pool=True),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))


def ssl_inputs():
    return [images(1), images(2)], [DataSample(metainfo=dict(sample_idx=i)) for i in range(N)]


def test_moco_mixture_by_hand():
    model = build(MOCO)
    model.eval()
    fixed_draw(model, 0.3, 1)
    reference = copy.deepcopy(model)
    inputs, samples = ssl_inputs()
    losses = model.loss(inputs, samples)
    with torch.no_grad():
        reference.update_key_encoder()
        k = F.normalize(reference.encoder_k(inputs[1])[0], dim=1)
        q = F.normalize(reference.neck([reference.backbone(inputs[0])[-1]])[0], dim=1)
        h = by_hand_forward(reference.backbone, inputs[0], 1, 0.3, FLIP)
        q_m = F.normalize(reference.neck([h])[0], dim=1)
    queue, t = reference.queue, 0.2

    def info_nce(query, pos):
        logits = torch.cat([(query * pos).sum(1, keepdim=True), query @ queue], dim=1) / t
        return -F.log_softmax(logits, dim=1)[:, 0]

    assert losses['loss'].item() == pytest.approx(info_nce(q, k).mean().item(), rel=1e-5)
    expected_mix = (0.3 * info_nce(q_m, k) + 0.7 * info_nce(q_m, k[FLIP])).mean()
    assert losses['loss_mix'].item() == pytest.approx(expected_mix.item(), rel=1e-5)
    # only the clean keys are enqueued
    assert torch.allclose(model.queue[:, :N], k.t(), atol=1e-6) and int(model.queue_ptr) == N


def test_moco_mixture_at_lam_one_is_upstream_moco():
    model = build(MOCO)
    model.train()
    fixed_draw(model, 1.0, 2)
    upstream = copy.deepcopy(model)
    inputs, samples = ssl_inputs()
    torch.manual_seed(3)
    losses = model.loss(inputs, samples)
    torch.manual_seed(3)
    expected = MoCo.loss(upstream, inputs, samples)['loss']
    assert losses['loss'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert losses['loss_mix'].item() == pytest.approx(expected.item(), rel=1e-5)


def test_mixture_gradient_reaches_the_online_backbone_only():
    model = build(MOCO)
    model.train()
    fixed_draw(model, 0.4, 2)
    losses = model.loss(*ssl_inputs())
    losses['loss_mix'].backward()
    assert all(p.grad is not None for p in model.backbone.parameters())
    assert not any(p.requires_grad for p in model.encoder_k.parameters())


@pytest.mark.parametrize('overrides, key', [(dict(stages=(0, 5)), 'stages must be a non-empty list of ints in'),
                                            (dict(stages=()), 'stages must be'),
                                            (dict(alpha=0), 'alpha must be > 0'),
                                            (dict(pairing='mirror'), 'pairing must be one of')])
def test_bad_arguments_name_the_key(overrides, key):
    with pytest.raises(ValueError, match=key):
        MODELS.build(dict(CLASSIFIER, **overrides))


DIGITS_CONFIGS = ['configs/manifoldmix/manifoldmix_resnet18-cifar_1xb64-coslr-30e_digits.py',
                  'configs/manifoldmix/manifoldmix-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py']


@pytest.mark.slow
@pytest.mark.parametrize('path', DIGITS_CONFIGS)
def test_digits_config_trains_two_iterations(tmp_path, path):
    cfg = Config.fromfile(str(REPO / path))
    cfg.merge_from_dict(dict(
        work_dir=str(tmp_path), train_cfg=dict(max_epochs=1, val_interval=1),
        train_dataloader=dict(batch_size=8, num_workers=0, persistent_workers=False,
                              dataset=dict(image_size=16, indices=16)),
        default_hooks=dict(logger=dict(interval=1), checkpoint=None)))
    cfg.custom_hooks = [h for h in cfg.custom_hooks if h['type'] != 'KNNEvalHook']
    if cfg.model.type == 'ManifoldMixMoCo':
        cfg.model.queue_len = 16
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert torch.isfinite(torch.tensor(runner.message_hub.get_scalar('train/loss').current()))
