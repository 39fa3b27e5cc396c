"""Tests of the learned mixers: SAMixMixer (Mix Block+, ``docs/methods.md#mixer`` steps 1-6) and AutoMixBlock
(AutoMix's MixBlock).

Hand computations use plain python floats (math.exp, literal weights), never the code under test.
"""
import math

import pytest
import torch
import torch.nn.functional as F

from mixplugins.models.mixers import AutoMixBlock, SAMixMixer, adjust_mask_mean, mask_loss

BN_EPS = 1e-5


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _softmax(row):
    exps = [math.exp(v) for v in row]
    return [e / sum(exps) for e in exps]


def _bilinear_2x2_to_4x4(grid):
    """align_corners=False, scale 2: output coordinate o samples the input at (o + 0.5) / 2 - 0.5, clamped at
    0 and 1, so along each axis the four outputs weigh the two inputs by (1, 0), (3/4, 1/4), (1/4, 3/4),
    (0, 1)."""
    weights = [(1.0, 0.0), (0.75, 0.25), (0.25, 0.75), (0.0, 1.0)]
    return [[sum(wy[a] * wx[b] * grid[a][b] for a in range(2) for b in range(2)) for wx in weights]
            for wy in weights]


def _set(param, values):
    with torch.no_grad():
        param.copy_(torch.tensor(values, dtype=torch.float32).view_as(param))


# Two samples, C = 2 channels on a 2x2 grid; positions p = 0..3 row-major.
FEAT = [
    [[1.0, 2.0, 0.0, -1.0], [0.0, 1.0, 1.0, 0.0]],
    [[0.0, 1.0, -1.0, 2.0], [2.0, 0.0, 1.0, 1.0]],
]
INDEX = [1, 0]
LAM = [0.3, 0.95]
GAMMA = 0.5


def _hand_mixer():
    """SAMixMixer(C=2, d=1) with hand-set weights, in eval mode (no dropout, BN on its running statistics)."""
    mixer = SAMixMixer(in_channels=2)
    _set(mixer.gamma, GAMMA)
    _set(mixer.attention_proj.weight, [1.0, 0.0, 0.0, 1.0])  # q = z_i'[ch0] + z_j'[ch1]
    _set(mixer.attention_proj.bias, [0.0])
    conv1, bn, _, _, conv2 = mixer.content_net
    _set(conv1.weight, [1.0, -1.0])
    _set(conv1.bias, [0.5])
    _set(bn.weight, [2.0])
    _set(bn.bias, [0.0])
    _set(conv2.weight, [1.5])
    _set(conv2.bias, [-1.0])
    return mixer.eval()


def _feat_tensor():
    return torch.tensor(FEAT).view(2, 2, 2, 2)


def _hand_pipeline():
    """Every step 1-6 of Mix Block+ (``docs/methods.md#mixer``) by hand, per sample i with partner j = INDEX[i]."""
    steps = dict(z_i=[], z_j=[], attention=[], content=[], logits=[], mask_raw=[], mask=[], loss=[])
    for i, j in enumerate(INDEX):
        lam = LAM[i]
        z_i = [[(1 + GAMMA * lam) * v for v in ch] for ch in FEAT[i]]
        z_j = [[(1 + GAMMA * (1 - lam)) * v for v in ch] for ch in FEAT[j]]
        q = [z_i[0][p] + z_j[1][p] for p in range(4)]
        attention = [_softmax([q[p] * q[r] / math.sqrt(1) for r in range(4)]) for p in range(4)]
        content = [
            1.5 * max(2 * (z_i[0][p] - z_i[1][p] + 0.5) / math.sqrt(1 + BN_EPS), 0.0) - 1.0 for p in range(4)
        ]
        logits = [sum(attention[p][r] * content[r] for r in range(4)) for p in range(4)]
        small = [[_sigmoid(logits[0]), _sigmoid(logits[1])], [_sigmoid(logits[2]), _sigmoid(logits[3])]]
        mask_raw = _bilinear_2x2_to_4x4(small)
        flat = [v for row in mask_raw for v in row]
        mu = sum(flat) / 16
        if mu > lam:
            mask = [[v * lam / mu for v in row] for row in mask_raw]
        else:
            mask = [[1 - (1 - v) * (1 - lam) / (1 - mu) for v in row] for row in mask_raw]
        loss = max(abs(lam - mu) - 0.1, 0.0) - sum((v - mu)**2 for v in flat) / 16
        for key, value in dict(
                z_i=z_i,
                z_j=z_j,
                attention=attention,
                content=content,
                logits=logits,
                mask_raw=mask_raw,
                mask=mask,
                loss=loss).items():
            steps[key].append(value)
    return steps


def test_mask_pipeline_by_hand():
    mixer, hand = _hand_mixer(), _hand_pipeline()
    feat, index, lam = _feat_tensor(), torch.tensor(INDEX), torch.tensor(LAM)
    z_i, z_j = mixer.encode_lam(feat, feat[index], lam)
    torch.testing.assert_close(z_i, torch.tensor(hand['z_i']).view(2, 2, 2, 2))
    torch.testing.assert_close(z_j, torch.tensor(hand['z_j']).view(2, 2, 2, 2))
    torch.testing.assert_close(mixer.attention_weights(z_i, z_j), torch.tensor(hand['attention']))
    torch.testing.assert_close(mixer.content_net(z_i), torch.tensor(hand['content']).view(2, 1, 2, 2))
    torch.testing.assert_close(mixer.mask_logits(z_i, z_j), torch.tensor(hand['logits']).view(2, 1, 2, 2))
    out = mixer(feat, lam, index, (4, 4))
    torch.testing.assert_close(out['mask_raw'], torch.tensor(hand['mask_raw']).view(2, 1, 4, 4))
    torch.testing.assert_close(out['mask'], torch.tensor(hand['mask']).view(2, 1, 4, 4))
    torch.testing.assert_close(out['loss_mask'], torch.tensor(hand['loss']))


def test_hand_case_is_not_degenerate():
    """The hand case exercises a peaked attention, both adjusting branches and an active mean-loss margin."""
    hand = _hand_pipeline()
    assert max(max(row) for row in hand['attention'][0]) > 0.5
    means = [sum(v for row in m for v in row) / 16 for m in hand['mask_raw']]
    assert (means[0] > LAM[0]) != (means[1] > LAM[1])
    assert any(abs(lam - mu) > 0.1 for lam, mu in zip(LAM, means))


def test_adjust_mask_mean_literal_numbers():
    mask = torch.tensor([0.2, 0.4, 0.6, 0.8]).view(1, 1, 2, 2).repeat(2, 1, 1, 1)  # mean 0.5
    adjusted = adjust_mask_mean(mask, torch.tensor([0.25, 0.75]))
    # mu > lam: s * 0.25 / 0.5; mu < lam: 1 - (1 - s) * 0.25 / 0.5
    torch.testing.assert_close(adjusted[0].flatten(), torch.tensor([0.1, 0.2, 0.3, 0.4]))
    torch.testing.assert_close(adjusted[1].flatten(), torch.tensor([0.6, 0.7, 0.8, 0.9]))


def test_mask_loss_literal_numbers():
    mask = torch.tensor([0.2, 0.4, 0.6, 0.8]).view(1, 1, 2, 2).repeat(2, 1, 1, 1)  # mean 0.5, var 0.05
    lam = torch.tensor([0.25, 0.45])
    # lam 0.25: max(0.25 - 0.1, 0) - 0.05 = 0.10; lam 0.45: max(0.05 - 0.1, 0) - 0.05 = -0.05
    torch.testing.assert_close(mask_loss(mask, lam, eps=0.1), torch.tensor([0.10, -0.05]))
    torch.testing.assert_close(mask_loss(mask, lam, eps=0.1, variance=False), torch.tensor([0.15, 0.0]))


@pytest.mark.parametrize('lam', [1e-3, 0.02, 0.5, 0.98, 1 - 1e-3, 'per-sample'])
def test_adjusted_mask_invariants(lam):
    torch.manual_seed(0)
    mixer = SAMixMixer(in_channels=8)
    feat = 3 * torch.randn(6, 8, 4, 4)
    index = torch.randperm(6)
    lam = torch.tensor([0.01, 0.2, 0.5, 0.7, 0.93, 0.999]) if lam == 'per-sample' else lam
    out = mixer(feat, lam, index, (16, 16))
    lam_vec = torch.as_tensor(lam).expand(6)
    for mask, target in ((out['mask'], lam_vec), (1 - out['mask'],
                                                  1 - lam_vec)):  # x_i's and partner's weight
        assert mask.min() >= 0 and mask.max() <= 1
        torch.testing.assert_close(mask.mean(dim=(1, 2, 3)), target, atol=1e-6, rtol=0)
    assert out['mask_raw'].min() >= 0 and out['mask_raw'].max() <= 1


def test_adjusting_at_lam_0_and_1_and_saturated_masks_has_finite_gradient():
    raw = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.3, 0.5, 0.6, 0.2]]).view(3, 1, 2, 2)
    raw.requires_grad_(True)
    lam = torch.tensor([0.5, 0.5, 0.0])
    adjusted = adjust_mask_mean(raw, lam)
    torch.testing.assert_close(adjusted.flatten(), torch.tensor([0.5] * 8 + [0.0] * 4))
    adjusted.sum().backward()
    assert torch.isfinite(raw.grad).all()
    ones = adjust_mask_mean(torch.full((1, 1, 2, 2), 0.3), torch.tensor([1.0]))
    torch.testing.assert_close(ones, torch.ones(1, 1, 2, 2))


def test_mixed_image_weights_sum_to_one():
    """x_mix = mask x_i + (1 - mask) x_j: with x = 1 for sample 0 and 0 for sample 1 the mix of pair (0, 1)
    is mask_0 and the mix of pair (1, 0) is 1 - mask_1; with lam_1 = 1 - lam_0 both means are lam_0."""
    torch.manual_seed(1)
    mixer = SAMixMixer(in_channels=4).eval()
    feat = torch.randn(2, 4, 2, 2)
    index = torch.tensor([1, 0])
    out = mixer(feat, torch.tensor([0.3, 0.7]), index, (8, 8))
    x = torch.stack([torch.ones(3, 8, 8), torch.zeros(3, 8, 8)])
    mixed = out['mask'] * x + (1 - out['mask']) * x[index]
    assert mixed.min() >= 0 and mixed.max() <= 1
    torch.testing.assert_close(mixed.mean(dim=(1, 2, 3)), torch.tensor([0.3, 0.3]), atol=1e-6, rtol=0)


def test_gamma_starts_at_zero_and_receives_gradient():
    torch.manual_seed(2)
    mixer = SAMixMixer(in_channels=8)
    assert mixer.gamma.item() == 0.0
    feat, index = torch.randn(4, 8, 4, 4), torch.tensor([3, 2, 1, 0])
    mixer(feat, 0.3, index, (8, 8))['loss_mask'].sum().backward()
    assert mixer.gamma.grad is not None and mixer.gamma.grad.abs().item() > 0


def test_gamma_is_clamped_in_value_but_not_in_gradient():
    torch.manual_seed(3)
    feat, index = torch.randn(4, 8, 4, 4), torch.tensor([3, 2, 1, 0])
    mixer = SAMixMixer(in_channels=8).eval()
    reference = {}
    for value in (0.0, 1.0, -0.5, 2.0):
        _set(mixer.gamma, value)
        mixer.zero_grad()
        out = mixer(feat, 0.3, index, (8, 8))
        reference[value] = out['mask_raw'].detach()
        out['loss_mask'].sum().backward()
        assert mixer.gamma.grad.abs().item() > 0, f'no gradient at gamma={value}'
    torch.testing.assert_close(reference[-0.5], reference[0.0])
    torch.testing.assert_close(reference[2.0], reference[1.0])
    assert not torch.allclose(reference[0.0], reference[1.0])


def _nonzero_grads(module):
    return {
        name: p.grad is not None and p.grad.abs().sum().item() > 0
        for name, p in module.named_parameters()
    }


@pytest.mark.parametrize('mixer_cls', [SAMixMixer, AutoMixBlock])
def test_gradient_from_mask_loss_and_from_mixed_image_loss(mixer_cls):
    torch.manual_seed(4)
    mixer = mixer_cls(in_channels=8)
    feat, index = torch.randn(4, 8, 4, 4), torch.tensor([3, 2, 1, 0])
    x = torch.randn(4, 3, 16, 16)
    lam = torch.tensor([0.05, 0.3, 0.6, 0.9])  # 0.05 / 0.9: outside the eps margin around a ~0.5 mask mean

    mixer(feat, lam, index, (16, 16))['loss_mask'].sum().backward()
    assert all(_nonzero_grads(mixer).values()), _nonzero_grads(mixer)

    mixer.zero_grad()
    out = mixer(feat, lam, index, (16, 16))
    x_mix = out['mask'] * x + (1 - out['mask']) * x[index]
    (x_mix * torch.randn_like(x_mix)).sum().backward()
    assert all(_nonzero_grads(mixer).values()), _nonzero_grads(mixer)


@pytest.mark.parametrize('depth,channels', [(18, 256), (50, 1024)])
def test_shapes_on_resnet_stage3_features(depth, channels):
    from mmpretrain.models import ResNet
    torch.manual_seed(5)
    backbone = ResNet(depth=depth, num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ))
    backbone.eval()  # mmpretrain's ResNet.train() returns None, so no chaining
    mixers = [SAMixMixer(in_channels=channels), AutoMixBlock(in_channels=channels)]
    for size, feat_size in ((32, 2), (64, 4), (224, 14)):
        if size == 32:
            with torch.no_grad():
                feat = backbone(torch.randn(2, 3, size, size))[0]
            assert feat.shape == (2, channels, feat_size, feat_size)
        else:  # stage 3 has stride 16 (checked at 32 px); larger backbone passes only cost time
            feat = torch.randn(2, channels, feat_size, feat_size)
        for mixer in mixers:
            out = mixer(feat, 0.4, torch.tensor([1, 0]), (size, size))
            assert out['mask'].shape == out['mask_raw'].shape == (2, 1, size, size)
            assert out['loss_mask'].shape == (2, )


def test_automix_block_by_hand():
    """AutoMix: concat lam encoding, cross attention (one shared W_P), linear content, nearest upsampling,
    mean loss only."""
    block = AutoMixBlock(in_channels=2).eval()
    _set(block.attention_proj.weight, [1.0, 0.0, 1.0])  # q = z[ch0] + (lam channel)
    _set(block.attention_proj.bias, [0.0])
    _set(block.content_net[1].weight, [1.0, 1.0, 2.0])  # C_i = z_i[ch0] + z_i[ch1] + 2 lam
    _set(block.content_net[1].bias, [-1.0])
    feat, index, lam = _feat_tensor(), torch.tensor(INDEX), torch.tensor(LAM)
    out = block(feat, lam, index, (4, 4))
    for i, j in enumerate(INDEX):
        query = [FEAT[i][0][p] + LAM[i] for p in range(4)]
        key = [FEAT[j][0][p] + (1 - LAM[i]) for p in range(4)]
        content = [FEAT[i][0][p] + FEAT[i][1][p] + 2 * LAM[i] - 1 for p in range(4)]
        attention = [_softmax([query[p] * key[r] for r in range(4)]) for p in range(4)]
        small = [_sigmoid(sum(attention[p][r] * content[r] for r in range(4))) for p in range(4)]
        expected = [[small[2 * (y // 2) + x // 2] for x in range(4)] for y in range(4)]  # nearest: 2x2 blocks
        mu = sum(small) / 4
        torch.testing.assert_close(out['mask_raw'][i, 0], torch.tensor(expected))
        torch.testing.assert_close(out['loss_mask'][i], torch.tensor(max(abs(LAM[i] - mu) - 0.1, 0.0)))
    torch.testing.assert_close(out['mask'], out['mask_raw'])  # no lambda adjusting


@pytest.mark.parametrize('mixer_cls', [SAMixMixer, AutoMixBlock])
def test_registered_and_built_from_config(mixer_cls):
    from mmpretrain.registry import MODELS
    mixer = MODELS.build(dict(type=mixer_cls.__name__, in_channels=16))
    assert isinstance(mixer, mixer_cls)


def test_ablation_flags_change_the_module():
    torch.manual_seed(6)
    feat, index = torch.randn(4, 8, 4, 4), torch.tensor([1, 0, 3, 2])
    nearest = SAMixMixer(in_channels=8, upsample='nearest', lam_adjust=False).eval()
    mask = nearest(feat, 0.5, index, (8, 8))['mask']
    torch.testing.assert_close(mask, F.interpolate(mask[:, :, ::2, ::2], scale_factor=2, mode='nearest'))
    assert not hasattr(SAMixMixer(in_channels=8, lam_encoding='none'), 'gamma')
    assert SAMixMixer(in_channels=8, lam_encoding='concat').attention_proj.in_channels == 2 * 9
    assert not hasattr(SAMixMixer(in_channels=8, attention='none'), 'attention_proj')
    dropped = SAMixMixer(in_channels=8, dropout=0.5).train()
    assert not torch.equal(
        dropped(feat, 0.5, index, (8, 8))['mask_raw'],
        dropped(feat, 0.5, index, (8, 8))['mask_raw'])
    plain = SAMixMixer(in_channels=8, dropout=0.0).train()
    torch.testing.assert_close(
        plain(feat, 0.5, index, (8, 8))['mask_raw'],
        plain(feat, 0.5, index, (8, 8))['mask_raw'])


@pytest.mark.parametrize('kwargs,key', [
    (dict(in_channels=1), 'in_channels'),
    (dict(in_channels=8, lam_encoding='add'), 'lam_encoding'),
    (dict(in_channels=8, content='mlp'), 'content'),
    (dict(in_channels=8, upsample='bicubic'), 'upsample'),
    (dict(in_channels=8, dropout=1.0), 'dropout'),
    (dict(in_channels=8, mask_loss_eps=-0.1), 'mask_loss_eps'),
    (dict(in_channels=8, attention=True), 'attention'),
    (dict(in_channels=8, attention='local'), 'attention'),
])
def test_bad_constructor_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        SAMixMixer(**kwargs)


def test_bad_automix_attention_names_the_key():
    with pytest.raises(ValueError, match='attention'):
        AutoMixBlock(in_channels=8, attention='local')


@pytest.mark.parametrize('feat_shape,lam,index,out_size,key', [
    ((4, 6, 2, 2), 0.5, [1, 0, 3, 2], (8, 8), 'in_channels'),
    ((4, 8, 2, 2), 1.5, [1, 0, 3, 2], (8, 8), 'lam'),
    ((4, 8, 2, 2), [0.5, 0.5], [1, 0, 3, 2], (8, 8), 'lam'),
    ((4, 8, 2, 2), 0.5, [1, 0], (8, 8), 'index'),
    ((4, 8, 2, 2), 0.5, [1, 0, 3, 2], 8, 'out_size'),
    ((1, 8, 2, 2), 0.5, [0], (8, 8), 'batch'),
    ((8, 2, 2), 0.5, [1, 0, 3, 2], (8, 8), 'feat'),
])
def test_bad_forward_inputs_name_the_key(feat_shape, lam, index, out_size, key):
    mixer = SAMixMixer(in_channels=8)
    with pytest.raises(ValueError, match=key):
        mixer(torch.randn(feat_shape), torch.tensor(lam), torch.tensor(index), out_size)
