"""BSIM / WBSIM on MoCo v2, SimCLR, BYOL and SimSiam (Chu et al., "A Unified Mixture-View Framework for Unsupervised
Representation Learning", 2022, arXiv:2011.13356; ``docs/methods.md#bsim-and-wbsim``)."""
import math

import pytest
import torch
from helpers.ssl_models import NO_MIX, build, fixed_lam, run_loss, upstream_and, views

from mixplugins.models.losses import mixture_weights, soft_nt_xent, transposed_interpolated_cosine_loss
from mixplugins.models.mixing import MixResult

BSIM = dict(MoCo='BSIMMoCo', SimCLR='BSIMSimCLR', BYOL='BSIMBYOL', SimSiam='BSIMSimSiam')
FLIP2 = torch.tensor([1, 0])
e = math.exp


def close(a, b, tol=1e-6):
    return abs(float(a) - float(b)) < tol


# ---------------------------------------------------------------------------------------- hand-computed forms
def test_moco_joint_form_by_hand():
    """MoCo-BSIM: ONE softmax over [q.k_i, q.k_j, q.queue] / t, soft target (lam, 1 - lam); lam 0.3, t 0.5."""
    q_m = torch.tensor([[1., 0.], [0., 1.]])
    k = torch.tensor([[0.6, 0.8], [0.8, -0.6]])
    queue = torch.tensor([[0., -1.], [1., 0.]])  # D x K: columns u0 = (0, 1), u1 = (-1, 0)
    model = build('MoCo', 'BSIMMoCo', mix_loss=dict(type='JointSoftInfoNCELoss', temperature=0.5))
    mix = MixResult(None, torch.tensor([0.3, 0.3]), FLIP2, None)
    got = model.mixed_moco_term(q_m, k, mix, queue)
    z0 = e(1.2) + e(1.6) + e(0) + e(-2)      # sample 0 logits [k0, k1, u0, u1] = [1.2, 1.6, 0, -2]
    z1 = e(-1.2) + e(1.6) + e(2) + e(0)      # sample 1 logits [k1, k0, u0, u1] = [-1.2, 1.6, 2, 0]
    l0 = -0.3 * math.log(e(1.2) / z0) - 0.7 * math.log(e(1.6) / z0)
    l1 = -0.3 * math.log(e(-1.2) / z1) - 0.7 * math.log(e(1.6) / z1)
    assert close(got, (l0 + l1) / 2)


def test_mixture_weights_per_sample():
    # mixture 0 = 0.2 x0 + 0.8 x1, mixture 1 = 0.6 x1 + 0.4 x0
    got = mixture_weights(torch.tensor([0.2, 0.6]), FLIP2)
    assert torch.allclose(got, torch.tensor([[0.2, 0.8], [0.4, 0.6]]))


def test_simclr_nt_xent_lam_by_hand():
    """NT-Xent(lam), t = 1, lam 0.25: 4 anchors [m0, m1, b0, b1], one softmax over the 3 others each."""
    z_m = torch.tensor([[1., 0.], [0., 1.]])
    z_b = torch.tensor([[0.6, 0.8], [0.8, -0.6]])
    got = soft_nt_xent(z_m, z_b, mixture_weights(torch.tensor([0.25, 0.25]), FLIP2), temperature=1.0)
    # dots: m0.m1 = 0, m0.b0 = 0.6, m0.b1 = 0.8, m1.b0 = 0.8, m1.b1 = -0.6, b0.b1 = 0
    za = e(0) + e(0.6) + e(0.8)
    zb = e(0) + e(0.8) + e(-0.6)
    m0 = -0.25 * math.log(e(0.6) / za) - 0.75 * math.log(e(0.8) / za)   # targets b0 (lam), b1 (1 - lam)
    m1 = -0.75 * math.log(e(0.8) / zb) - 0.25 * math.log(e(-0.6) / zb)  # targets b0 (1 - lam), b1 (lam)
    b0 = -0.25 * math.log(e(0.6) / za) - 0.75 * math.log(e(0.8) / za)   # targets m0 (lam), m1 (1 - lam)
    b1 = -0.75 * math.log(e(0.8) / zb) - 0.25 * math.log(e(-0.6) / zb)  # targets m0 (1 - lam), m1 (lam)
    assert close(got, (m0 + m1 + b0 + b1) / 4)


def test_simclr_nt_xent_per_sample_lam_by_hand():
    """Per-sample lam (0.2, 0.6): W = [[0.2, 0.8], [0.4, 0.6]]; second-view anchors use the columns of W."""
    z_m = torch.tensor([[1., 0.], [0., 1.]])
    z_b = torch.tensor([[0.6, 0.8], [0.8, -0.6]])
    got = soft_nt_xent(z_m, z_b, mixture_weights(torch.tensor([0.2, 0.6]), FLIP2), temperature=1.0)
    za = e(0) + e(0.6) + e(0.8)   # others of m0 and of b0 (same dot products, see the test above)
    zb = e(0) + e(0.8) + e(-0.6)  # others of m1 and of b1
    m0 = -0.2 * math.log(e(0.6) / za) - 0.8 * math.log(e(0.8) / za)   # W[0] over (b0, b1)
    m1 = -0.4 * math.log(e(0.8) / zb) - 0.6 * math.log(e(-0.6) / zb)  # W[1] over (b0, b1)
    b0 = -0.2 * math.log(e(0.6) / za) - 0.4 * math.log(e(0.8) / za)   # W[:, 0] over (m0, m1)
    b1 = -0.8 * math.log(e(0.8) / zb) - 0.6 * math.log(e(-0.6) / zb)  # W[:, 1] over (m0, m1)
    assert close(got, (m0 + m1 + b0 + b1) / 4)


def test_latent_interpolated_target_by_hand():
    """SimSiam-BSIM (-cos): pred of mixture i to normalize(lam n(z_i) + (1 - lam) n(z_j)), lam 0.3."""
    model = build('SimSiam', 'BSIMSimSiam').float()
    pred = torch.tensor([[1., 0.], [0., 1.]])
    target = torch.tensor([[3., 4.], [0., 2.]])  # normalised: (0.6, 0.8), (0, 1)
    got = model.cosine_term(pred, target, target[FLIP2], torch.tensor([0.3, 0.3]))
    t0 = (0.3 * 0.6 + 0.7 * 0.0, 0.3 * 0.8 + 0.7 * 1.0)   # (0.18, 0.94)
    t1 = (0.3 * 0.0 + 0.7 * 0.6, 0.3 * 1.0 + 0.7 * 0.8)   # (0.42, 0.86)
    want = (-t0[0] / math.hypot(*t0) - t1[1] / math.hypot(*t1)) / 2
    assert close(got, want)


def test_latent_transposed_term_with_per_sample_lam_by_hand():
    """Second-view anchor i regresses to the mixtures containing i: i (weight lam_i), inv[i] (1 -
    lam_inv[i])."""
    pred = torch.tensor([[1., 1.], [1., 0.]])
    mixed_target = torch.tensor([[1., 0.], [0., 1.]])
    got = transposed_interpolated_cosine_loss(pred, mixed_target, torch.tensor([0.2, 0.6]), FLIP2, mode='simsiam')
    # anchor 0: weights 0.2 (mixture 0), 1 - 0.6 = 0.4 (mixture 1): target (1/3, 2/3), cos with (1, 1) = 3 /
    # sqrt(10) anchor 1: weights 0.6 (mixture 1), 1 - 0.2 = 0.8 (mixture 0): target (4/7, 3/7), cos with (1,
    # 0) = 4 / 5
    want = (0.6 * -3 / math.sqrt(10) + 1.4 * -0.8) / 2
    assert close(got, want)


# ------------------------------------------------------------------------------------------------- reductions
@pytest.mark.parametrize('base', ['SimCLR', 'BYOL', 'SimSiam'])
@pytest.mark.parametrize('lam', [1.0, 0.0])
def test_bsim_with_lam_0_or_1_is_the_base_method(base, lam):
    upstream, ours = upstream_and(base, BSIM[base], mix_policy=fixed_lam(lam))
    inputs = views()
    assert close(run_loss(ours, inputs)['loss_bsim'], run_loss(upstream, inputs)['loss'])


@pytest.mark.parametrize('base', ['MoCo', 'SimCLR', 'BYOL', 'SimSiam'])
def test_wbsim_with_weights_0_1_is_the_base_method(base):
    upstream, ours = upstream_and(base, BSIM[base], w_bsim=0.0, w_sim=1.0)
    inputs = views()
    got = run_loss(ours, inputs)
    assert set(got) == {'loss_sim'} and close(got['loss_sim'], run_loss(upstream, inputs)['loss'])
    if base == 'MoCo':
        assert torch.allclose(ours.queue, upstream.queue, atol=1e-10)


@pytest.mark.parametrize('base', ['MoCo', 'BYOL'])
def test_wbsim_weights_scale_the_two_terms(base):
    """WBSIM 0.5 / 0.5 without mixing: L_SIM is half the base loss (BYOL: and so is L_BSIM at lam = 1)."""
    upstream, ours = upstream_and(base, BSIM[base], mix_policy=NO_MIX, w_bsim=0.5, w_sim=0.5)
    inputs = views()
    want = run_loss(upstream, inputs)['loss']
    got = run_loss(ours, inputs)
    assert close(got['loss_sim'], 0.5 * want)
    if base == 'BYOL':
        assert close(got['loss_bsim'], 0.5 * want)


def test_moco_bsim_at_lam_1_and_0_is_moco_with_the_partner_key_as_negative():
    """MoCo-BSIM (``docs/methods.md#bsim-and-wbsim``): with lam = 1 the joint softmax is infoNCE with key k_i and
    negatives [k_j, queue] (upstream head); lam = 0 gives the same value on the flipped batch. Only the clean keys
    are enqueued."""
    values = {}
    for lam in (1.0, 0.0):
        torch.manual_seed(0)
        model = build('MoCo', 'BSIMMoCo', mix_policy=fixed_lam(lam))
        inputs = views()
        queue_before = model.queue.clone()
        values[lam] = run_loss(model, inputs)['loss_bsim']
        q, k = model.query(inputs[0]), model.keys(inputs[1])
        l_neg = torch.cat([(q * k.flip(0)).sum(1, keepdim=True), q @ queue_before], 1)
        if lam == 1.0:
            assert close(values[lam], model.head.loss((q * k).sum(1, keepdim=True), l_neg))
        assert torch.allclose(model.queue[:, :4].t(), k, atol=1e-10)
        assert torch.equal(model.queue[:, 4:], queue_before[:, 4:])
    assert close(values[1.0], values[0.0])


@pytest.mark.parametrize('base', ['MoCo', 'SimCLR', 'BYOL', 'SimSiam'])
def test_mixed_term_depends_on_lam_and_backpropagates(base):
    torch.manual_seed(0)
    model = build(base, BSIM[base], mix_policy=fixed_lam(0.4))
    other = build(base, BSIM[base], mix_policy=fixed_lam(0.8))
    other.load_state_dict(model.state_dict())
    inputs = views()
    loss = run_loss(model, inputs)['loss_bsim']
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert not close(run_loss(other, inputs)['loss_bsim'], loss, tol=1e-4)


# -------------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize('kwargs, match', [
    (dict(w_bsim=-1.0), 'w_bsim'),
    (dict(w_bsim=0.0, w_sim=0.0), 'w_bsim'),
    (dict(mix_loss='soft'), 'mix_loss'),
    (dict(pairing='sorted'), 'pairing'),
    (dict(mix_policy=dict(type='NoSuchMix')), 'policy type'),
])
def test_bad_config_values(kwargs, match):
    with pytest.raises((ValueError, KeyError), match=match):
        build('MoCo', 'BSIMMoCo', **kwargs)


@pytest.mark.parametrize('base', ['SimCLR', 'SimSiam'])
def test_odd_batch_is_refused(base):
    model = build(base, BSIM[base])
    with pytest.raises(ValueError, match='batch_size'):
        model.loss(views(5), None)
