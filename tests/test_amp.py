"""Mixed precision and host-device synchronisation in every algorithm.

- every digits config (one per algorithm family, their baselines included): one loss + backward through the
  config's data preprocessor and model under CPU bf16 autocast (``BF16AmpOptimWrapper``) gives finite losses
  and gradients, and each loss term agrees with its float32 value;
- the Bag of Freebies detector (weighted RPN / RoI heads, label smoothing) the same way;
- the delicate pure functions (masks, mixing, lambda adjusting, mask loss, mixup losses) in fp16 / bf16 at
  extreme lambdas and saturated masks: finite, float32, equal to their float32 computation on the same values;
- no host-device synchronisation in a training step: on CPU a mock makes every tensor-to-host conversion raise
  inside the model's loss (MMEngine's own conversions allowed), with CUDA ``torch.cuda.set_sync_debug_mode``.
"""
import contextlib
import copy
import glob
import math
import os.path as osp
import sys
import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, set_random_seed
from mmpretrain.registry import MODELS

import mixplugins  # noqa: F401
from helpers import REPO
from mixplugins.engine import BF16AmpOptimWrapper
from mixplugins.models import losses as LF
from mixplugins.models.mixers import adjust_mask_mean, mask_loss
from mixplugins.models.mixers.base_mixer import upsampled_mask
from mixplugins.models.mixing import export_pretrained_mixer
from mixplugins.models.mixing import functional as MF
from mixplugins.models.mixing.policies import RandomChoicePolicy

DIGITS_CONFIGS = sorted(osp.relpath(p, REPO) for p in glob.glob(str(REPO / 'configs' / '*' / '*digits*.py')))
BATCH_SIZE = 4
LOW_DTYPES = (torch.float16, torch.bfloat16)
EXTREME_LAMS = (0.0, 1e-4, 0.5, 1 - 1e-4, 1.0)

# Tolerance of a loss term under bf16 autocast against float32: |bf16 - fp32| <= ATOL + RTOL |fp32|. bf16 keeps 8
# significant bits: each rounding is off by at most 2^-9 (0.2 %) relative. The convolutions and linear layers of
# the width-16 ResNet-18 and of the necks / heads run in bf16 (about 20 roundings of activations and weights on
# the way to the features); the mixup losses themselves run in float32 on those features, but a contrastive term
# divides feature dot products by a temperature of 0.1-0.2, which multiplies their absolute error by 5-10.
# Measured on these configs (random init, the config's pipeline, 4 images of 24 px, same seeds in both runs):
# the largest deviations are 0.028 absolute for the SimCLR terms (upstream SimCLR's own included, 1 % of their
# value 2.7), 0.018 for the BYOL cosine terms (value about 0.1), 0.005 or less for the cross-entropy, MoCo and
# SAMix / AutoMix terms. The bound below is 2.4x the worst measured absolute deviation for the small terms and
# 4x for the SimCLR ones. It catches a gross failure (NaN / inf, a term computed from a wrong mask, lam or
# target: 0.1 or more); the bit-exact float32 computation of the delicate functions is tested further down.
# Gradients are only required finite: at random initialisation their bf16 direction is noisy (cosine to the
# float32 gradient 0.43-0.95, lowest for SimSiam / BYOL, upstream's as ours).
RTOL, ATOL = 0.03, 0.04


# ---------------------------------------------------------------------------------------------- helpers
@pytest.fixture(scope='module')
def pretrained_mixer_file(tmp_path_factory):
    """A SAMix^P Mixer file exported from a freshly built (untrained) SAMix model of each digits kind."""
    files = {}
    for kind, source in (('ssl', 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py'),
                         ('sup', 'configs/samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py')):
        cfg = Config.fromfile(str(REPO / source))
        torch.manual_seed(0)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = MODELS.build(copy.deepcopy(cfg.model))
        path = tmp_path_factory.mktemp('mixer') / f'{kind}.pth'
        torch.save(export_pretrained_mixer(cfg.model, model.state_dict()), path)
        files[kind] = str(path)
    return files


def load_cfg(path: str, mixer_files: dict) -> Config:
    """The config, its SAMix^P checkpoint pointed at ``mixer_files``, a train loader of 4 images."""
    cfg = Config.fromfile(str(REPO / path))
    model = cfg.model
    if model.get('mix_policy') and model.mix_policy.get('type') == 'PretrainedMixerPolicy':
        model.mix_policy.checkpoint = mixer_files['ssl']
    augments = model.get('train_cfg', {}) and model.train_cfg.get('augments')
    if augments and augments.get('type') == 'PretrainedMixer':
        augments.checkpoint = mixer_files['sup']
    cfg.train_dataloader.update(batch_size=BATCH_SIZE, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.indices = BATCH_SIZE
    return cfg


def build_model_and_batch(cfg: Config):
    """The model as the Runner builds it (with the config's top-level data preprocessor) and one batch."""
    torch.manual_seed(0)
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
        batch = next(iter(Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=0)))
    return model.train(), batch


def loss_step(model, batch, wrapper_type=OptimWrapper, seed: int = 1):
    """MMEngine's ``train_step`` up to the backward, on a copy of ``model``: preprocessor and loss inside the
    optim wrapper's context, ``parse_losses``, backward. Returns (loss terms as floats, {name: grad})."""
    model = copy.deepcopy(model)
    wrapper = wrapper_type(optimizer=torch.optim.SGD(model.parameters(), lr=0.0))
    set_random_seed(seed)  # torch, numpy (mmpretrain's Mixup / CutMix draw lam with numpy) and random
    with wrapper.optim_context(model):
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        losses = model._run_forward(data, mode='loss')
    total, log_vars = model.parse_losses(losses)  # log_vars: every loss term and their sum 'loss'
    total.backward()
    return {k: float(v) for k, v in log_vars.items()}, {name: p.grad for name, p in model.named_parameters() if p.grad is not None}


# ------------------------------------------------------------------------ configs under bf16 autocast
def test_digits_configs_are_all_covered():
    kinds = {osp.basename(osp.dirname(p)) for p in DIGITS_CONFIGS}
    assert kinds == {'automix', 'bsim', 'demo', 'manifoldmix', 'samix', 'unmix'} and len(DIGITS_CONFIGS) == 28


@pytest.mark.slow
@pytest.mark.parametrize('path', DIGITS_CONFIGS)
def test_bf16_loss_and_gradients_match_float32(path, pretrained_mixer_file):
    model, batch = build_model_and_batch(load_cfg(path, pretrained_mixer_file))
    fp32_losses, fp32_grads = loss_step(model, batch)
    bf16_losses, bf16_grads = loss_step(model, batch, BF16AmpOptimWrapper)
    assert bf16_losses.keys() == fp32_losses.keys()
    for name, value in bf16_losses.items():
        assert math.isfinite(value), name
        assert abs(value - fp32_losses[name]) <= ATOL + RTOL * abs(fp32_losses[name]), \
            (name, value, fp32_losses[name])
    assert bf16_grads.keys() == fp32_grads.keys() and bf16_grads
    for name, grad in bf16_grads.items():
        assert grad.dtype == torch.float32 and torch.isfinite(grad).all(), name


def test_bf16_optim_wrapper_autocasts_the_step_on_cpu():
    layer = torch.nn.Linear(4, 4)
    wrapper = BF16AmpOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=0.1))
    with wrapper.optim_context(layer):
        out = layer(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16 and layer.weight.dtype == torch.float32
    wrapper.update_params(out.float().pow(2).sum())
    assert layer.weight.grad is None  # zeroed after the step


def test_train_tool_amp_selects_bf16_without_cuda(monkeypatch):
    sys.path.insert(0, str(REPO / 'tools'))
    import train as train_tool
    args = train_tool.argparse.Namespace(no_validate=False, launcher='none', work_dir='w', amp=True, resume=None,
                                         auto_scale_lr=False, no_pin_memory=False, no_persistent_workers=False,
                                         cfg_options=None)
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper'), train_dataloader=None, val_dataloader=None,
                      test_dataloader=None))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert train_tool.merge_args(cfg, args).optim_wrapper.type == 'BF16AmpOptimWrapper'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert train_tool.merge_args(cfg, args).optim_wrapper.type == 'AmpOptimWrapper'


# -------------------------------------------------------------------------------------- detection
def tiny_bof_detector():
    """The Bag of Freebies Faster R-CNN (weighted RPN / RoI heads, label smoothing) with a ResNet-18 at 64 px."""
    from mmdet.registry import MODELS as DET_MODELS
    cfg = Config.fromfile(str(REPO / 'configs' / 'bof' / 'faster-rcnn_r50_fpn_bof_voc0712.py')).model
    cfg.backbone.update(depth=18, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, init_cfg=None)
    cfg.neck.update(in_channels=[64, 128, 256, 512], out_channels=32)
    cfg.rpn_head.update(in_channels=32, feat_channels=32)
    cfg.roi_head.bbox_roi_extractor.out_channels = 32
    cfg.roi_head.bbox_head.update(in_channels=32, fc_out_channels=32, num_classes=3)
    cfg.train_cfg.rcnn.sampler.num = 16
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        return DET_MODELS.build(cfg).train()


def detector_batch():
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    torch.manual_seed(0)
    samples = []
    for boxes, labels, weights in (([[4., 4., 30., 40.], [30., 20., 60., 60.]], [0, 2], [0.3, 0.7]),
                                   ([[10., 8., 50., 34.]], [1], [1.0])):
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), pad_shape=(64, 64), batch_input_shape=(64, 64),
                                             scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=torch.tensor(boxes), labels=torch.tensor(labels),
                                           weights=torch.tensor(weights))
        samples.append(sample)
    return torch.randn(2, 3, 64, 64), samples


def detector_losses(model, inputs, samples, proposals, context):
    """TwoStageDetector.loss with given proposals: features, weighted RPN loss and weighted RoI loss in
    ``context``; backward. Returns (log_vars, model). The RoI extractor gets float32 features: mmcv's CPU
    RoIAlign has no bf16 kernel (the bbox head's layers and losses still run under the autocast)."""
    model = copy.deepcopy(model)
    rpn_samples = copy.deepcopy(samples)
    for sample in rpn_samples:
        sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
    torch.manual_seed(1)
    with context, DefaultScope.overwrite_default_scope('mmdet'):
        feats = model.extract_feat(inputs)
        losses = model.rpn_head.loss(feats, rpn_samples)
        losses.update(model.roi_head.loss([f.float() for f in feats], copy.deepcopy(proposals),
                                          copy.deepcopy(samples)))
    total, log_vars = model.parse_losses(losses)
    total.backward()
    return {k: float(v) for k, v in log_vars.items()}, model


def test_bof_detector_bf16_losses_and_gradients():
    """The weighted RPN and RoI losses of the BoF detector under CPU bf16 autocast agree with float32. The
    proposals are made once in float32 and shared: mmcv's CPU NMS takes float32 only (an upstream limit, as
    RoIAlign's; a detector's ``--amp`` is CUDA fp16, where mmcv's ops take fp16)."""
    from mmengine.structures import InstanceData
    model = tiny_bof_detector()
    inputs, samples = detector_batch()
    with torch.no_grad(), DefaultScope.overwrite_default_scope('mmdet'):
        outs = model.rpn_head(model.extract_feat(inputs))
        proposals = model.rpn_head.predict_by_feat(*outs, batch_img_metas=[s.metainfo for s in samples],
                                                   cfg=model.train_cfg.rpn_proposal)
    proposals = [InstanceData(bboxes=p.bboxes, scores=p.scores, labels=p.labels) for p in proposals]
    fp32, _ = detector_losses(model, inputs, samples, proposals, contextlib.nullcontext())
    bf16, bf16_model = detector_losses(model, inputs, samples, proposals, torch.autocast('cpu', torch.bfloat16))
    assert bf16.keys() == fp32.keys() and {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'} <= set(bf16)
    for key, value in bf16.items():
        assert math.isfinite(value) and abs(value - fp32[key]) <= ATOL + RTOL * abs(fp32[key]), (key, value, fp32)
    grads = [p.grad for p in bf16_model.parameters() if p.grad is not None]
    assert grads and all(g.dtype == torch.float32 and torch.isfinite(g).all() for g in grads)


def test_label_smoothing_loss_in_half_precision_is_float32():
    from mixplugins.det import LabelSmoothingCrossEntropyLoss
    loss = LabelSmoothingCrossEntropyLoss(eps=0.1)
    logits = torch.tensor([[60.0, -60.0, 0.0], [0.0, 0.0, 0.0]])
    label, weight = torch.tensor([1, 2]), torch.tensor([0.3, 0.7])
    reference = loss(logits, label, weight)
    for dtype in LOW_DTYPES:
        value = loss(logits.to(dtype), label, weight.to(dtype))
        assert value.dtype == torch.float32 and torch.isfinite(value)
        assert torch.equal(value, loss(logits.to(dtype).float(), label, weight.to(dtype).float()))
    assert torch.isfinite(reference)


# --------------------------------------------------------------------- delicate functions, fp16 / bf16
def saturated_masks(dtype):
    """Masks of 2 x 1 x 4 x 4: all 0, all 1, sigmoid(-30) (1e-13), sigmoid(-50) (2e-22 in bf16, 0 in fp16:
    with the former safe-denominator form its unused branch made a NaN gradient), and a half 0 / half 1."""
    half = torch.cat([torch.zeros(1, 1, 4, 2), torch.ones(1, 1, 4, 2)], dim=3)
    return [torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4), torch.sigmoid(torch.full((2, 1, 4, 4), -30.0)),
            torch.sigmoid(torch.full((2, 1, 4, 4), -50.0)), half.expand(2, 1, 4, 4)]


@pytest.mark.parametrize('dtype', LOW_DTYPES)
@pytest.mark.parametrize('lam', EXTREME_LAMS)
def test_lambda_adjusting_and_mask_loss_at_extremes(dtype, lam):
    lam_t = torch.full((2, ), lam)
    for raw in saturated_masks(dtype):
        mask = raw.to(dtype).requires_grad_()
        adjusted = adjust_mask_mean(mask, lam_t)
        loss = mask_loss(mask, lam_t, eps=0.1)
        assert adjusted.dtype == torch.float32 and loss.dtype == torch.float32
        assert torch.isfinite(adjusted).all() and torch.isfinite(loss).all()
        assert ((adjusted >= 0) & (adjusted <= 1)).all()
        mean = adjusted.mean(dim=(1, 2, 3))
        mu = mask.detach().float().mean()
        if 0 < mu < 1 or mu == lam:  # a constant 0 / 1 mask can only be scaled to a mean of 0 / 1
            torch.testing.assert_close(mean, lam_t, rtol=0, atol=1e-6)
        (adjusted.sum() + loss.sum()).backward()
        assert torch.isfinite(mask.grad).all(), (lam, raw.flatten()[:2])


@pytest.mark.parametrize('dtype', LOW_DTYPES)
def test_mask_upsampling_is_float32_and_saturates_finitely(dtype):
    logits = torch.tensor([-1e4, -30.0, 0.0, 30.0]).view(1, 1, 2, 2).to(dtype)
    mask = upsampled_mask(logits, (4, 4), 'bilinear')
    assert mask.dtype == torch.float32 and torch.isfinite(mask).all()
    torch.testing.assert_close(mask, upsampled_mask(logits.float(), (4, 4), 'bilinear'), rtol=0, atol=0)
    with torch.autocast('cpu', torch.bfloat16):
        under_autocast = upsampled_mask(logits, (4, 4), 'bilinear')
    assert torch.equal(under_autocast, mask)


@pytest.mark.parametrize('dtype', LOW_DTYPES)
def test_mix_with_a_low_precision_mask_is_computed_in_float32(dtype):
    """The failure of the audit: a Mixer's fp16 / bf16 mask with float32 images (``lerp`` needs one dtype)."""
    torch.manual_seed(0)
    x = torch.randn(4, 3, 8, 8)
    mask = torch.rand(4, 1, 8, 8).to(dtype)
    index = MF.pair_indices(4)
    mixed = MF.mix_with_mask(x, mask, index)
    assert mixed.dtype == torch.float32
    assert torch.equal(mixed, MF.mix_with_mask(x, mask.float(), index))
    with torch.autocast('cpu', torch.bfloat16):
        assert torch.equal(MF.mix_with_mask(x, mask, index), mixed)
    low_x = x.to(dtype)  # features of a low-precision layer keep their dtype, mixed in float32
    assert MF.mix_with_mask(low_x, mask, index).dtype == dtype


@pytest.mark.parametrize('dtype', LOW_DTYPES)
@pytest.mark.parametrize('lam', EXTREME_LAMS)
def test_mixup_mask_keeps_lam_exact_for_low_precision_inputs(dtype, lam):
    x = torch.randn(4, 3, 2, 2).to(dtype)
    result = MF.mixup(x, lam, MF.pair_indices(4))
    assert result.mask.dtype == torch.float32 and torch.equal(result.mask.mean(dim=(1, 2, 3)), result.lam)
    assert result.lam.eq(torch.tensor(lam, dtype=torch.float32)).all()  # not rounded to fp16 / bf16


def loss_cases(dtype, lam):
    """(name, function, low-precision inputs) of every mixup loss at ``lam`` (per-sample Tensor[N])."""
    torch.manual_seed(0)
    n, d, k = 4, 8, 5
    unit = lambda *shape: torch.nn.functional.normalize(torch.randn(*shape), dim=-1).to(dtype)  # noqa: E731
    logits = (20 * torch.randn(n, k)).to(dtype)  # large logits: a low-precision log-softmax would lose them
    a, b = torch.tensor([0, 1, 2, 3]), torch.tensor([3, 2, 2, 0])
    lam_t = torch.full((n, ), lam).to(dtype)
    z_m, k_i, k_j, queue = unit(n, d), unit(n, d), unit(n, d), unit(6, d)
    return [
        ('mixup_soft_cross_entropy', LF.mixup_soft_cross_entropy, (logits, a, b, lam_t)),
        ('pairwise_bce', LF.pairwise_bce, (logits, a, b, lam_t)),
        ('instance_bce', lambda *t: LF.instance_bce(*t, temperature=0.05), (z_m, k_i, k_j, lam_t)),
        ('mixup_infonce', lambda *t: LF.mixup_infonce(*t, temperature=0.05), (z_m, k_i, k_j, queue, lam_t)),
        ('joint_soft_infonce', lambda *t: LF.joint_soft_infonce(*t, temperature=0.05),
         (z_m, k_i, k_j, queue, lam_t)),
        ('interpolated_cosine_loss', LF.interpolated_cosine_loss, (z_m, k_i, k_j, lam_t)),
        ('soft_target_cross_entropy', LF.soft_target_cross_entropy,
         (logits, torch.softmax(torch.randn(n, k), 1).to(dtype))),
        ('label_smoothing_cross_entropy', lambda *t: LF.label_smoothing_cross_entropy(*t, eps=0.1), (logits, a)),
    ]


@pytest.mark.parametrize('dtype', LOW_DTYPES)
@pytest.mark.parametrize('lam', EXTREME_LAMS)
def test_mixup_losses_run_in_float32_at_extreme_lambdas(dtype, lam):
    for name, fn, inputs in loss_cases(dtype, lam):
        inputs = [t.clone().requires_grad_() if t.is_floating_point() else t for t in inputs]
        value = fn(*inputs)
        assert value.dtype == torch.float32 and torch.isfinite(value), name
        # exactly the float32 computation on the same (rounded) values: nothing ran in fp16 / bf16 inside
        assert torch.equal(value, fn(*[t.detach().float() if t.is_floating_point() else t for t in inputs])), name
        with torch.autocast('cpu', torch.bfloat16):
            assert torch.equal(fn(*inputs), value), name
        value.backward()
        for t in inputs:
            if t.is_floating_point() and t.grad is not None:
                assert t.grad.dtype == dtype and torch.isfinite(t.grad).all(), name


def test_mixer_lam_is_not_rounded_to_the_feature_dtype():
    from mixplugins.models.mixers import SAMixMixer
    mixer = SAMixMixer(in_channels=8).eval()
    lam = torch.tensor([0.3, 0.7, 1e-4, 1 - 1e-4])
    with torch.autocast('cpu', torch.bfloat16):
        out = mixer(torch.randn(4, 8, 2, 2), lam, MF.pair_indices(4), (8, 8))
    assert out['mask'].dtype == torch.float32 and out['loss_mask'].dtype == torch.float32
    torch.testing.assert_close(out['mask'].mean(dim=(1, 2, 3)), lam, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------- no host-device sync
TO_HOST = ('item', 'tolist', '__bool__', '__float__', '__int__', '__index__', 'cpu', 'numpy')
#: host reads allowed in a step: MMEngine's own (its EMA reads its step counter, ``parse_losses`` logs floats),
#: upstream mmpretrain's CosineEMA of BYOL's target network (``cos(pi * steps / max_iters)`` on its step counter),
#: the draws of RandomChoicePolicy's branch and ManifoldMix's stage, made on the host by torch's CPU generator
#: (no device involved), and the corners of the box CutMix / ResizeMix paste for a whole batch, computed from
#: host draws (a lam on the host, as the policies draw it)
ALLOWED_CALLERS = (osp.dirname(__import__('mmengine').__file__),
                   osp.join(osp.dirname(__import__('mmpretrain').__file__), 'models', 'utils', 'ema.py'))
ALLOWED_CODE = (RandomChoicePolicy.forward.__code__, MF.sample_stage.__code__, MF.cutmix.__code__,
                MF.resizemix.__code__)


@contextlib.contextmanager
def host_reads_raise():
    """Every Tensor-to-host conversion raises inside the block, except from :data:`ALLOWED_CALLERS`."""
    originals = {name: getattr(torch.Tensor, name) for name in TO_HOST}

    def guard(name):
        original = originals[name]

        def guarded(self, *args, **kwargs):
            caller = sys._getframe(1)
            if caller.f_code not in ALLOWED_CODE and not caller.f_code.co_filename.startswith(ALLOWED_CALLERS):
                raise AssertionError(f'host-device sync: Tensor.{name} at {caller.f_code.co_filename}:'
                                     f'{caller.f_lineno} ({caller.f_code.co_name})')
            return original(self, *args, **kwargs)

        return guarded

    for name in TO_HOST:
        setattr(torch.Tensor, name, guard(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


def test_host_read_guard_catches_a_sync():
    with host_reads_raise(), pytest.raises(AssertionError, match='Tensor.__bool__'):
        if torch.ones(1) > 0:
            pass
    with host_reads_raise(), pytest.raises(AssertionError, match='Tensor.item'):
        torch.ones(1).item()
    assert bool(torch.ones(1))  # restored


#: the algorithms of this project (the upstream baselines' syncs are mmpretrain's)
OWN_ALGORITHM_CONFIGS = [p for p in DIGITS_CONFIGS if osp.basename(p).split('_')[0] not in
                         ('mocov2', 'byol', 'simclr', 'simsiam', 'resnet18-cifar', 'mixup', 'cutmix')]


@pytest.mark.slow
@pytest.mark.parametrize('path', OWN_ALGORITHM_CONFIGS)
def test_no_host_read_in_the_loss_step(path, pretrained_mixer_file):
    """Two steps (the second with a filled queue / memory): the preprocessor runs outside the guard (it is
    MMEngine's / mmpretrain's), the loss forward and backward inside it."""
    model, batch = build_model_and_batch(load_cfg(path, pretrained_mixer_file))
    wrapper = OptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.01))
    MessageHub.get_current_instance().update_info('max_iters', 10)  # read by BYOL's cosine EMA
    for _ in range(2):
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        with host_reads_raise():
            losses = model._run_forward(data, mode='loss')
            sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        wrapper.step()
        wrapper.zero_grad()


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA (torch.cuda.set_sync_debug_mode)')
@pytest.mark.parametrize('path', OWN_ALGORITHM_CONFIGS)
def test_no_cuda_sync_from_mixplugins_in_the_loss_step(path, pretrained_mixer_file):
    """Synchronising CUDA calls during the loss forward + backward, attributed to mixplugins' own code (the
    warning names the Python line that made the call); upstream ones (mmengine's EMA, mmpretrain's batch
    shuffle) are not counted."""
    model, batch = build_model_and_batch(load_cfg(path, pretrained_mixer_file))
    model = model.to('cuda')
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('warn')
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            losses = model._run_forward(data, mode='loss')
            sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    package = osp.dirname(mixplugins.__file__)
    ours = [f'{w.filename}:{w.lineno}' for w in caught
            if 'synchroniz' in str(w.message) and w.filename.startswith(package)]
    assert not ours, ours
