"""Mixing core: pairing, Beta sampling, every policy's invariants, registered policies, batch augments."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import BATCH_AUGMENTS, MODELS

import mixplugins  # noqa: F401  (registration)
from mixplugins.models.mixing import functional as MF
from mixplugins.models.mixing import build_mix_policy

MASK_POLICIES = [MF.mixup, MF.cutmix, MF.fmix, MF.saliencymix]
ALL_POLICIES = MASK_POLICIES + [MF.resizemix]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def images(n=4, size=16, seed=0):
    return torch.rand(n, 3, size, size, generator=gen(seed))


# ------------------------------------------------------------------------------------- pairing, lambda
def test_flip_pairing_is_an_involution():
    index = MF.pair_indices(5, 'flip')
    assert index.tolist() == [4, 3, 2, 1, 0]
    assert torch.equal(index[index], torch.arange(5))


def test_random_pairing_is_a_reproducible_permutation():
    first = MF.pair_indices(8, 'random', gen(3))
    assert sorted(first.tolist()) == list(range(8))
    assert torch.equal(first, MF.pair_indices(8, 'random', gen(3)))


def test_pairing_errors_name_the_key():
    with pytest.raises(ValueError, match='batch_size'):
        MF.pair_indices(1, 'flip')
    with pytest.raises(ValueError, match="pairing must be one of \\('flip', 'random'\\)"):
        MF.pair_indices(4, 'shuffle')


@pytest.mark.parametrize('alpha', [0.2, 1.0, 2.0])
def test_beta_sampler_mean_and_variance(alpha):
    lam = MF.sample_lambda(alpha, 4000, gen(1))
    assert lam.shape == (4000, ) and bool(((lam >= 0) & (lam <= 1)).all())
    # Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)).
    assert lam.mean().item() == pytest.approx(0.5, abs=0.02)
    assert lam.var().item() == pytest.approx(1 / (4 * (2 * alpha + 1)), rel=0.08)
    assert torch.equal(lam, MF.sample_lambda(alpha, 4000, gen(1)))


@pytest.mark.parametrize('alpha', [0.0, -1.0])
def test_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match='alpha must be > 0'):
        MF.sample_lambda(alpha)
    with pytest.raises(ValueError, match='alpha must be > 0'):
        MODELS.build(dict(type='CutMixPolicy', alpha=alpha))


def test_lam_outside_unit_interval_is_rejected():
    with pytest.raises(ValueError, match='lam must lie in'):
        MF.mixup(images(), 1.5, MF.pair_indices(4))


# ------------------------------------------------------------------------------------- policies
def test_mixup_by_hand_and_identity_at_lam_one():
    x = torch.tensor([1.0, 3.0]).view(2, 1, 1, 1)
    result = MF.mixup(x, 0.25, MF.pair_indices(2))
    assert result.mixed.flatten().tolist() == pytest.approx([0.25 * 1 + 0.75 * 3, 0.25 * 3 + 0.75 * 1])
    x = images()
    assert torch.equal(MF.mixup(x, 1.0, MF.pair_indices(4)).mixed, x)
    assert torch.allclose(MF.mixup(x, 0.0, MF.pair_indices(4)).mixed, x.flip(0))


def test_cutmix_box_by_hand():
    # H = W = 10, lam = 0.64: r = 0.6, a 6 x 6 box; centre (5, 5) -> rows/cols 2..7.
    keep = MF._box_mask(torch.tensor([0.64]), 10, 10, torch.tensor([5]), torch.tensor([5]))
    pasted = ~keep[0, 0]
    assert pasted.sum().item() == 36
    assert pasted[2:8, 2:8].all()
    # Centre (0, 9) clips the box to rows 0..2, cols 6..9: 3 x 4 pixels.
    keep = MF._box_mask(torch.tensor([0.64]), 10, 10, torch.tensor([0]), torch.tensor([9]))
    assert (~keep).sum().item() == 12 and (~keep[0, 0, :3, 6:]).all()


@pytest.mark.parametrize('fn', [MF.cutmix, MF.saliencymix, MF.resizemix])
def test_box_policies_lam_is_one_minus_pasted_area(fn):
    x = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 3, 16, 16).contiguous()  # sample i is constant i
    index = MF.pair_indices(4)
    result = fn(x, torch.tensor([0.3, 0.5, 0.7, 0.9]), index, generator=gen(2))
    for i in range(4):
        pasted = torch.isclose(result.mixed[i, 0], index[i].float())
        assert result.lam[i].item() == pytest.approx(1 - pasted.sum().item() / 256)
        rows, cols = pasted.any(1).nonzero().flatten(), pasted.any(0).nonzero().flatten()
        assert pasted.sum() == len(rows) * len(cols), 'pasted region is a box'
        assert torch.equal(result.mask[i, 0] == 0, pasted)


@pytest.mark.parametrize('fn', ALL_POLICIES)
def test_masks_in_unit_interval_and_weights_sum_to_one(fn):
    x = images()
    index = MF.pair_indices(4)
    result = fn(x, 0.6, index, generator=gen(4))
    assert result.mask.shape == (4, 1, 16, 16) and result.lam.shape == (4, )
    assert bool(((result.mask >= 0) & (result.mask <= 1)).all())
    assert torch.allclose(result.lam, result.mask.flatten(1).mean(1), atol=1e-6)
    assert result.lam_source == 'mask_mean' and torch.allclose(result.mask_mean(), result.lam, atol=1e-6)
    assert torch.equal(result.index, index)
    # Weight of x_i plus weight of its partner is 1: a constant batch stays constant.
    assert torch.allclose(fn(torch.ones(4, 3, 16, 16), 0.6, index, generator=gen(4)).mixed, torch.ones(1))
    if fn is not MF.resizemix:
        assert torch.allclose(result.mixed, result.mask * x + (1 - result.mask) * x[index], atol=1e-6)


@pytest.mark.parametrize('fn', [MF.cutmix, MF.fmix, MF.resizemix])
def test_batch_lam_shares_one_mask_per_sample_lam_does_not(fn):
    x = images(n=6)
    shared = fn(x, 0.5, MF.pair_indices(6), generator=gen(5))
    assert torch.equal(shared.mask, shared.mask[:1].expand_as(shared.mask))
    assert torch.allclose(shared.lam, shared.lam[:1].expand(6))
    lam = torch.tensor([0.1, 0.3, 0.5, 0.6, 0.8, 0.95])
    per_sample = fn(x, lam, MF.pair_indices(6), generator=gen(5))
    assert len(set(per_sample.lam.tolist())) > 1
    assert not torch.equal(per_sample.mask, per_sample.mask[:1].expand_as(per_sample.mask))


def box_of(mask):
    """(y1, y2, x1, x2) of the zeros of an H x W 0/1 mask, checking that they form one box."""
    pasted = mask == 0
    rows, cols = pasted.any(1).nonzero().flatten(), pasted.any(0).nonzero().flatten()
    if len(rows) == 0:
        return 0, 0, 0, 0
    y1, y2, x1, x2 = rows[0].item(), rows[-1].item() + 1, cols[0].item(), cols[-1].item() + 1
    assert pasted.sum() == (y2 - y1) * (x2 - x1) and pasted[y1:y2, x1:x2].all(), 'pasted region is a box'
    return y1, y2, x1, x2


SHARED_LAMS = [0.0, 1e-4, 0.37, 0.64, 1 - 1e-4, 1.0]


@pytest.mark.parametrize('seed', range(12))
def test_cutmix_shared_box_paste_is_the_mask_blend_bitwise(seed):
    """A batch lam pastes one box; the result is bit for bit the mask blend of the same draws (box mask of the
    drawn centre, :func:`MF._box_mask`, blended by ``lerp``), and lam is the mask mean."""
    n, h, w = 2 + seed % 4, 5 + seed, 17 - seed
    x = torch.randn(n, 3, h, w, generator=gen(seed))
    index = MF.pair_indices(n, 'random', gen(seed + 100))
    lam = SHARED_LAMS[seed % len(SHARED_LAMS)]
    for lam_arg in (lam, torch.tensor(lam)):
        result = MF.cutmix(x, lam_arg, index, generator=gen(seed))
        cy, cx = MF._uniform_centres(n, h, w, True, gen(seed), 'cpu')
        keep = MF._box_mask(MF.lam_vector(lam, n), h, w, cy, cx)
        assert torch.equal(result.mask, keep.float()) and result.mask.shape == (n, 1, h, w)
        assert torch.equal(result.mixed, MF.mix_with_mask(x, keep.float(), index))
        assert torch.equal(result.mixed, result.mask * x + (1 - result.mask) * x[index])
        assert torch.equal(result.lam, result.mask.flatten(1).mean(1))
        y1, y2, x1, x2 = box_of(result.mask[0, 0])
        assert result.lam.tolist() == [pytest.approx(1 - (y2 - y1) * (x2 - x1) / (h * w), abs=1e-7)] * n


def test_cutmix_shared_box_by_hand():
    # H = W = 10, lam = 0.64: a 6 x 6 box wherever the centre falls inside [3, 7]^2, so lam stays 0.64.
    x = torch.arange(2.0).view(2, 1, 1, 1).expand(2, 3, 10, 10).contiguous()  # sample i is constant i
    for seed in range(40):
        cy, cx = MF._uniform_centres(2, 10, 10, True, gen(seed), 'cpu')
        if 3 <= cy[0] <= 7 and 3 <= cx[0] <= 7:
            break
    result = MF.cutmix(x, 0.64, MF.pair_indices(2), generator=gen(seed))
    y1, y2, x1, x2 = box_of(result.mask[0, 0])
    assert (y1, y2, x1, x2) == (cy[0] - 3, cy[0] + 3, cx[0] - 3, cx[0] + 3)
    assert result.lam.tolist() == [pytest.approx(0.64, abs=1e-7)] * 2
    assert result.mixed[0, :, y1:y2, x1:x2].eq(1).all() and result.mixed[1, :, y1:y2, x1:x2].eq(0).all()
    assert result.mixed.sum() == 3 * (100 - 36 + 36)  # sample 1 keeps 64 ones, sample 0 gets 36


@pytest.mark.parametrize('lam', SHARED_LAMS)
def test_resizemix_shared_box_paste_is_the_mask_blend_bitwise(lam):
    """``mixed = mask * x + (1 - mask) * canvas`` where the canvas holds the resized partners in the box."""
    x = torch.randn(5, 3, 12, 9, generator=gen(1))
    index = MF.pair_indices(5, 'random', gen(2))
    result = MF.resizemix(x, lam, index, generator=gen(3))
    y1, y2, x1, x2 = box_of(result.mask[0, 0])
    canvas = x[index].clone()
    if y2 > y1:
        canvas[:, :, y1:y2, x1:x2] = torch.nn.functional.interpolate(x[index], size=(y2 - y1, x2 - x1),
                                                                     mode='bilinear', align_corners=False)
    assert torch.equal(result.mixed, result.mask * x + (1 - result.mask) * canvas)
    assert torch.equal(result.mask, result.mask[:1].expand_as(result.mask))
    assert torch.equal(result.lam, result.mask.flatten(1).mean(1))
    side = int(12 * math.sqrt(1 - np.float32(lam))), int(9 * math.sqrt(1 - np.float32(lam)))
    assert (y2 - y1, x2 - x1) == (side if min(side) > 0 else (0, 0))


@pytest.mark.parametrize('fn', [MF.cutmix, MF.fmix, MF.saliencymix])
@pytest.mark.parametrize('per_sample', [False, True])
def test_binary_mask_policies_are_the_mask_blend_bitwise(fn, per_sample):
    x = torch.randn(6, 3, 16, 16, generator=gen(4))
    index = MF.pair_indices(6, 'random', gen(5))
    lam = torch.tensor([0.1, 0.3, 0.5, 0.6, 0.8, 0.95]) if per_sample else 0.3
    result = fn(x, lam, index, generator=gen(6))
    assert torch.equal(result.mixed, MF.mix_with_mask(x, result.mask, index))
    assert torch.equal(result.lam, result.mask.flatten(1).mean(1))


@pytest.mark.parametrize('fn', [MF.cutmix, MF.resizemix])
def test_shared_box_is_pasted_without_blend_or_mask(fn, monkeypatch):
    """One box for the batch: no full-batch blend (lerp / where), and the mask is built only when read."""
    def refuse(*args, **kwargs):
        raise AssertionError('full-batch blend on the shared-box path')

    built = []
    build_mask = MF._shared_box_mask
    monkeypatch.setattr(torch, 'lerp', refuse)
    monkeypatch.setattr(torch, 'where', refuse)
    monkeypatch.setattr(MF, '_shared_box_mask', lambda *args: built.append(args) or build_mask(*args))
    result = fn(images(), 0.5, MF.pair_indices(4), generator=gen(7))
    assert built == []
    assert result.mask.shape == (4, 1, 16, 16) and len(built) == 1


def test_mix_result_builds_a_given_mask_function_once_when_read():
    calls = []

    def build():
        calls.append(1)
        return torch.ones(2, 1, 3, 3)

    result = MF.MixResult(torch.zeros(2, 3, 3, 3), torch.ones(2), MF.pair_indices(2), build)
    assert calls == []
    assert result.mask.shape == (2, 1, 3, 3) and result.mask is result.mask and calls == [1]
    mixed, lam, index, mask = result
    assert mask is result.mask and mixed is result.mixed and lam is result.lam and index is result.index
    assert MF.MixResult(None, torch.ones(2), MF.pair_indices(2), None).mask is None
    mixup_mask = MF.mixup(images(), 0.3, MF.pair_indices(4)).mask
    assert mixup_mask.shape == (4, 1, 16, 16) and mixup_mask.stride()[2:] == (0, 0)  # lam broadcast, a view


def test_fmix_mask_mean_exact_and_low_frequency():
    lam = torch.tensor([0.3, 0.5, 0.77, 0.9])
    result = MF.fmix(images(size=32), lam, MF.pair_indices(4), generator=gen(6))
    expected = torch.round(lam * 1024) / 1024
    assert torch.equal(result.lam, expected)
    assert set(result.mask.unique().tolist()) <= {0.0, 1.0}
    # Low-frequency mask: neighbouring pixels rarely differ (a white-noise mask differs ~50% of the time).
    mask = result.mask[:, 0]
    changes = torch.cat([(mask[:, 1:] != mask[:, :-1]).flatten(),
                         (mask[:, :, 1:] != mask[:, :, :-1]).flatten()])
    assert changes.float().mean().item() < 0.15


def disk_on_smooth_background(centre, seed=0):
    """32 x 32 image: low-contrast smooth texture plus a bright disk of radius 3 at ``centre``."""
    rows, cols = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing='ij')
    disk = ((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= 9).float()
    noise = torch.rand(1, 1, 40, 40, generator=gen(seed))
    background = 0.5 * torch.nn.functional.avg_pool2d(noise, 9, 1)[0, 0]
    return (background + disk).expand(3, 32, 32)


@pytest.mark.parametrize('centre', [(20, 8), (6, 25), (16, 16)])
def test_spectral_residual_saliency_peaks_at_the_odd_object(centre):
    rows, cols = MF.saliency_peak(disk_on_smooth_background(centre)[None])
    assert math.dist((rows.item(), cols.item()), centre) <= 4  # on the disk or its edge


def test_saliencymix_box_centred_on_partner_salient_spot():
    x = torch.stack([torch.zeros(3, 32, 32), disk_on_smooth_background((20, 8))])
    result = MF.saliencymix(x, 0.75, MF.pair_indices(2))  # 16 x 16 box around the partner's saliency peak
    assert result.mask[0, 0, 20, 8] == 0
    assert torch.equal(result.mixed[0, :, 20, 8], x[1, :, 20, 8])
    assert result.lam[0].item() == pytest.approx(1 - (result.mask[0] == 0).sum().item() / 1024)


def test_resizemix_pastes_the_whole_resized_partner():
    x = torch.zeros(2, 1, 20, 20)
    x[1, :, :10] = 1.0  # partner: top half 1, bottom half 0
    result = MF.resizemix(x, 0.75, MF.pair_indices(2), generator=gen(7))  # tau = 0.5 -> 10 x 10 box
    box = (result.mask[0, 0] == 0).nonzero()
    top, left = box.min(0).values.tolist()
    assert len(box) == 100 and result.lam[0].item() == pytest.approx(0.75)
    pasted = result.mixed[0, 0, top:top + 10, left:left + 10]
    assert pasted[:4].eq(1).all() and pasted[6:].eq(0).all()  # the partner's two halves survive the resize


def test_manifold_mix_on_features_and_stage_choice():
    feats = torch.randn(4, 5, requires_grad=True)
    result = MF.manifold_mix(feats, torch.tensor([0.2, 0.4, 0.6, 0.8]), MF.pair_indices(4))
    assert result.mask.shape == (4, 1)
    assert torch.allclose(result.mixed[0], 0.2 * feats[0] + 0.8 * feats[3])
    result.mixed.sum().backward()
    assert feats.grad.abs().sum() > 0
    stages = {MF.sample_stage(3, gen(s)) for s in range(30)}
    assert stages == {0, 1, 2}


@pytest.mark.parametrize('fn', ALL_POLICIES)
def test_gradient_reaches_both_images(fn):
    x = images().requires_grad_()
    fn(x, 0.6, MF.pair_indices(4), generator=gen(8)).mixed.pow(2).sum().backward()
    assert bool((x.grad.flatten(1).abs().sum(1) > 0).all())


# ------------------------------------------------------------------------------------- registered policies
POLICY_TYPES = ['MixupPolicy', 'CutMixPolicy', 'ResizeMixPolicy', 'FMixPolicy', 'SaliencyMixPolicy']


@pytest.mark.parametrize('policy_type', POLICY_TYPES)
def test_registered_policy_interface(policy_type):
    x = images(n=6)
    policy = MODELS.build(dict(type=policy_type, alpha=1.0, pairing='random', per_sample_lam=True))
    result = policy(x, generator=gen(9))
    assert result.mixed.shape == x.shape and result.mask.shape == (6, 1, 16, 16)
    assert sorted(result.index.tolist()) == list(range(6))
    assert len(set(result.lam.tolist())) > 1
    again = policy(x, generator=gen(9))
    assert torch.equal(result.mixed, again.mixed)
    # Overrides: lam = 1 with a forced pairing is the identity for every policy.
    forced = policy(x, generator=gen(9), index=MF.pair_indices(6), lam=1.0)
    assert torch.equal(forced.index, MF.pair_indices(6))
    assert torch.allclose(forced.mixed, x) and torch.allclose(forced.lam, torch.ones(6))


def test_resizemix_policy_scale_range():
    policy = MODELS.build(dict(type='ResizeMixPolicy', scale=(0.1, 0.8), per_sample_lam=True))
    result = policy(images(n=64, size=32), generator=gen(10))
    side = torch.sqrt(1 - result.lam) * 32  # box side in pixels
    assert side.min() >= int(0.1 * 32) - 1 and side.max() <= 0.8 * 32
    with pytest.raises(ValueError, match='scale'):
        MODELS.build(dict(type='ResizeMixPolicy', scale=(0.5, 1.5)))


def test_unknown_names_raise_naming_the_key():
    with pytest.raises(KeyError, match="policy type must be one of .*'CutMixPolicy'.*got 'PuzzleMix'"):
        build_mix_policy(dict(type='PuzzleMix'))
    with pytest.raises(ValueError, match='pairing must be one of'):
        MODELS.build(dict(type='MixupPolicy', pairing='shuffle'))
    with pytest.raises(KeyError, match='policy type'):
        MODELS.build(dict(type='RandomChoicePolicy', policies=[dict(type='NoSuchMix')]))


def choices(probs, seeds):
    """Which policy RandomChoicePolicy(Mixup, CutMix) applied for each seed (lam forced to 0.5)."""
    policy = MODELS.build(dict(type='RandomChoicePolicy', probs=probs,
                               policies=[dict(type='MixupPolicy'), dict(type='CutMixPolicy')]))
    x = images(n=2, size=8)
    names = []
    for seed in seeds:
        mask = policy(x, generator=gen(seed), lam=0.5).mask
        names.append('none' if torch.all(mask == 1) else 'mixup' if torch.all(mask == 0.5) else 'cutmix')
    return names


def test_random_choice_follows_probs():
    assert set(choices([1.0, 0.0], range(10))) == {'mixup'}
    assert set(choices([0.0, 1.0], range(10))) == {'cutmix'}
    counts = choices([0.3, 0.3], range(300))
    for name, p in (('mixup', 0.3), ('cutmix', 0.3), ('none', 0.4)):
        assert counts.count(name) / 300 == pytest.approx(p, abs=0.1)


def test_random_choice_remainder_is_identity():
    policy = MODELS.build(dict(type='RandomChoicePolicy', probs=[0.0], policies=[dict(type='CutMixPolicy')]))
    x = images()
    result = policy(x, generator=gen(0))
    assert torch.equal(result.mixed, x) and torch.equal(result.lam, torch.ones(4))


@pytest.mark.parametrize('probs,message', [([0.5, 1.2], 'probs must each lie in'),
                                           ([-0.1, 0.5], 'probs must each lie in'),
                                           ([0.7, 0.6], 'probs must sum to at most 1'),
                                           ([0.5], 'probs must have one entry per policy')])
def test_random_choice_bad_probs(probs, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(dict(type='RandomChoicePolicy', probs=probs,
                          policies=[dict(type='MixupPolicy'), dict(type='CutMixPolicy')]))


# ------------------------------------------------------------------------------------- batch augments
@pytest.mark.parametrize('augment', ['FMix', 'SaliencyMix'])
def test_batch_augment_mixes_scores_with_corrected_lam(augment):
    torch.manual_seed(0)
    x = torch.arange(6.0).view(6, 1, 1, 1).expand(6, 3, 16, 16).contiguous()  # sample i is constant i
    mixed, mixed_scores = BATCH_AUGMENTS.build(dict(type=augment, alpha=1.0))(x, torch.eye(6))
    assert mixed.shape == x.shape
    assert torch.allclose(mixed_scores.sum(1), torch.ones(6))
    partner_scores = mixed_scores - torch.diag(mixed_scores.diag())
    assert partner_scores.max() > 0, 'some sample was mixed'
    for i in range(6):
        lam = mixed_scores[i, i].item()
        j = int(partner_scores[i].argmax()) if lam < 1 else i
        # The image mean is lam * i + (1 - lam) * j exactly when the score uses the corrected lam.
        assert mixed[i].mean().item() == pytest.approx(lam * i + (1 - lam) * j, abs=1e-5)


def test_image_classifier_train_cfg_uses_fmix():
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, stem_channels=16, base_channels=16),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=128,
                  loss=dict(type='CrossEntropyLoss', use_soft=True)),
        data_preprocessor=dict(num_classes=5),
        train_cfg=dict(augments=[dict(type='FMix', alpha=1.0), dict(type='SaliencyMix', alpha=1.0)])))
    from mmpretrain.structures import DataSample
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(4)],
                data_samples=[DataSample().set_gt_label(i % 5) for i in range(4)])
    processed = model.data_preprocessor(data, training=True)
    assert 'gt_score' in processed['data_samples'][0]
    losses = model(**processed, mode='loss')
    losses['loss'].backward()
    assert math.isfinite(losses['loss'].item())
    assert model.head.fc.weight.grad.abs().sum() > 0
