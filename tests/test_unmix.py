"""Un-Mix on MoCo v2, SimCLR and BYOL (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual
Representation Learning", AAAI 2022, arXiv:2003.05438, sec. 3-4; ``docs/methods.md#un-mix``)."""
import math

import pytest
import torch
import torch.nn.functional as F
from helpers.ssl_models import BASE_CFGS, NO_MIX, build, fixed_lam, run_loss, total, upstream_and, views

from mixplugins.models.algorithms.base_mix_ssl import unmix_policy
from mixplugins.models.losses import extra_anchor_nt_xent
from mixplugins.models.mixing import CutMixPolicy, MixResult

LAM = torch.tensor([0.3, 0.3])
FLIP2 = torch.tensor([1, 0])


def close(a, b, tol=1e-6):
    return abs(float(a) - float(b)) < tol


# ---------------------------------------------------------------------------------------- hand-computed forms
def test_moco_separate_form_by_hand():
    """Un-Mix MoCo term: each parent its own softmax over [pos, queue] (Un-Mix, Eq. 5), lam 0.3, t 0.5."""
    q_m = torch.tensor([[1., 0.], [0., 1.]])
    k = torch.tensor([[0.6, 0.8], [0.8, -0.6]])
    queue = torch.tensor([[0., -1.], [1., 0.]])  # D x K: columns u0 = (0, 1), u1 = (-1, 0)
    model = build('MoCo', 'UnMixMoCo', mix_loss=dict(type='MixupInfoNCELoss', temperature=0.5))
    got = model.mixed_moco_term(q_m, k, MixResult(None, LAM, FLIP2, None), queue)
    # sample 0: q.k0 = 0.6, q.k1 = 0.8, q.u = (0, -1); sample 1: q.k1 = -0.6, q.k0 = 0.8, q.u = (1, 0); / t
    l0 = (0.3 * -math.log(math.exp(1.2) / (math.exp(1.2) + math.exp(0) + math.exp(-2)))
          + 0.7 * -math.log(math.exp(1.6) / (math.exp(1.6) + math.exp(0) + math.exp(-2))))
    l1 = (0.3 * -math.log(math.exp(-1.2) / (math.exp(-1.2) + math.exp(2) + math.exp(0)))
          + 0.7 * -math.log(math.exp(1.6) / (math.exp(1.6) + math.exp(2) + math.exp(0))))
    assert close(got, (l0 + l1) / 2)


def test_simclr_extra_anchor_form_by_hand():
    """Un-Mix SimCLR: mixed anchors, positive b_parent, the negatives of the parent's clean anchor."""
    z_m = torch.tensor([[1., 0.], [0., 1.]])
    z_a = torch.tensor([[0.6, 0.8], [-0.8, 0.6]])
    z_b = torch.tensor([[0.8, 0.6], [0., -1.]])
    got = extra_anchor_nt_xent(z_m, z_a, z_b, LAM, FLIP2, temperature=1.0)
    e = math.exp
    # anchor m0: dots with [a0, a1, b0, b1] = [0.6, -0.8, 0.8, 0]
    m0_parent0 = -math.log(e(0.8) / (e(-0.8) + e(0.8) + e(0)))      # a0 excluded, positive b0
    m0_parent1 = -math.log(e(0) / (e(0.6) + e(0.8) + e(0)))         # a1 excluded, positive b1
    # anchor m1: dots [0.8, 0.6, 0.6, -1]; its own parent is 1, its partner 0
    m1_parent1 = -math.log(e(-1) / (e(0.8) + e(0.6) + e(-1)))       # a1 excluded, positive b1
    m1_parent0 = -math.log(e(0.6) / (e(0.6) + e(0.6) + e(-1)))      # a0 excluded, positive b0
    want = ((0.3 * m0_parent0 + 0.7 * m0_parent1) + (0.3 * m1_parent1 + 0.7 * m1_parent0)) / 2
    assert close(got, want)


def test_byol_two_parent_form_by_hand():
    """Un-Mix BYOL: regression (-cos, the head's form) to each parent's target with weights (lam, 1 - lam)."""
    model = build('BYOL', 'UnMixBYOL').float()
    pred = torch.tensor([[1., 0.], [0., 2.]])
    target = torch.tensor([[3., 4.], [1., 0.]])
    got = model.two_parent_term(pred, target, FLIP2, LAM, 1 - LAM)
    # -cos(p0, t0) = -0.6, -cos(p0, t1) = -1, -cos(p1, t1) = 0, -cos(p1, t0) = -0.8
    want = ((0.3 * -0.6 + 0.7 * -1.0) + (0.3 * 0.0 + 0.7 * -0.8)) / 2
    assert close(got, want)


# ------------------------------------------------------------------------------------------------- reductions
def test_unmix_moco_reduces_to_moco_without_mixing():
    """No mixing (lam = 1, x_m = x^q): L_ori and L_m both equal upstream MoCo's loss; same queue
    afterwards."""
    upstream, ours = upstream_and('MoCo', 'UnMixMoCo', mix_policy=NO_MIX)
    inputs = views()
    want = run_loss(upstream, inputs)['loss']
    got = run_loss(ours, inputs)
    assert set(got) == {'loss_ori', 'loss_mix'}
    assert close(got['loss_ori'], want) and close(got['loss_mix'], want)
    assert torch.allclose(ours.queue, upstream.queue, atol=1e-10)
    assert int(ours.queue_ptr) == int(upstream.queue_ptr)


def test_unmix_simclr_reduces_to_simclr():
    upstream, ours = upstream_and('SimCLR', 'UnMixSimCLR')
    inputs = views()
    assert close(run_loss(ours, inputs)['loss_ori'], run_loss(upstream, inputs)['loss'])


def test_unmix_byol_reduces_to_byol_without_mixing():
    upstream, ours = upstream_and('BYOL', 'UnMixBYOL', mix_policy=NO_MIX)
    inputs = views()
    want = run_loss(upstream, inputs)['loss']
    got = run_loss(ours, inputs)
    assert close(got['loss_ori'], want) and close(got['loss_mix'], want)


# ------------------------------------------------------------------------------- queue, corrected lam, scales
def test_moco_queue_holds_only_clean_keys():
    torch.manual_seed(0)
    model = build('MoCo', 'UnMixMoCo')
    before = model.queue.clone()
    inputs = views()
    run_loss(model, inputs)
    clean_keys = model.keys(inputs[1])  # key encoder already updated; no further update here
    assert torch.allclose(model.queue[:, :4].t(), clean_keys, atol=1e-10)
    assert torch.equal(model.queue[:, 4:], before[:, 4:]) and int(model.queue_ptr) == 4


def test_cutmix_corrected_lam_reaches_the_loss_weights():
    """Nominal lam 0.75 -> a 4 x 4 box on 8 x 8 images; with the box clipped at the border the corrected lam
    (1 - box area / HW, counted here from the changed pixels) differs from 0.75 and weights the mixed terms,
    recomputed through the upstream head: ``lam L(q_m, k) + (1 - lam) L(q_m, flip(k))``."""
    torch.manual_seed(0)
    model = build('MoCo', 'UnMixMoCo', mix_policy=fixed_lam(0.75, CutMixPolicy))
    inputs = views()
    seen = {}
    mix_batch = model.mix_batch

    def spy(x):
        seen['mix'] = mix_batch(x)
        return seen['mix']

    model.mix_batch = spy
    for seed in range(20):
        queue_before = model.queue.clone()
        losses = run_loss(model, inputs, seed=seed)
        changed = (seen['mix'].mixed != inputs[0]).any(1)  # N x H x W pixels taken from the partner
        lam_by_hand = 1 - changed[0].sum().item() / 64
        if lam_by_hand != 0.75:
            break
    assert lam_by_hand != 0.75
    assert torch.allclose(seen['mix'].lam.double(), torch.full((4,), lam_by_hand, dtype=torch.float64))
    q_m, k = model.query(seen['mix'].mixed), model.keys(inputs[1])
    negatives = q_m @ queue_before

    def moco(keys):
        return model.head.loss((q_m * keys).sum(1, keepdim=True), negatives)

    want = lam_by_hand * moco(k) + (1 - lam_by_hand) * moco(k.flip(0))
    assert close(losses['loss_mix'], want)


def test_multi_scale_has_one_queue_per_scale():
    torch.manual_seed(0)
    model = build('MoCo', 'UnMixMoCo', scales=[4])
    inputs = views()
    losses = run_loss(model, inputs)
    assert set(losses) == {'loss_ori', 'loss_mix', 'loss_ori_s4', 'loss_mix_s4'}
    small_keys = model.keys(F.interpolate(inputs[1], size=(4, 4), mode='bilinear', align_corners=False))
    assert torch.allclose(model.queue_scale0[:, :4].t(), small_keys, atol=1e-10)
    assert torch.allclose(model.queue[:, :4].t(), model.keys(inputs[1]), atol=1e-10)
    assert not torch.allclose(small_keys, model.keys(inputs[1]), atol=1e-3)


# -------------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize('kwargs, match', [
    (dict(mix_policy=unmix_policy(mix_prob=1.5)), 'probs'),
    (dict(mix_policy=unmix_policy(mix_prob=-0.1)), 'probs'),
    (dict(mix_loss='bce'), 'mix_loss'),
    (dict(pairing='sorted'), 'pairing'),
    (dict(scales=[0]), 'scales'),
])
def test_bad_config_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build('MoCo', 'UnMixMoCo', **kwargs)


@pytest.mark.parametrize('batch_size', [1, 3])
def test_batch_that_cannot_be_flip_paired(batch_size):
    model = build('BYOL', 'UnMixBYOL')
    with pytest.raises(ValueError, match='batch_size'):
        model.loss(views(batch_size), None)


def test_queue_len_not_a_multiple_of_the_batch():
    model = build('MoCo', 'UnMixMoCo', queue_len=10)
    with pytest.raises(ValueError, match='queue_len'):
        model.loss(views(4), None)


def test_byol_head_loss_form_is_checked():
    head = dict(BASE_CFGS['BYOL']['head'], loss=dict(type='CosineSimilarityLoss', shift_factor=1.0))
    with pytest.raises(ValueError, match='head.loss'):
        build('BYOL', 'UnMixBYOL', head=head)


def test_gradients_reach_the_online_encoder_only():
    model = build('MoCo', 'UnMixMoCo')
    total(run_loss(model, views())).backward()
    assert model.backbone.conv1.weight.grad is not None
    assert all(p.grad is None for p in model.encoder_k.parameters())
