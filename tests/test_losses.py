"""Mixup losses: hand-computed values on 1-2 samples with 2-d embeddings, reductions to infoNCE, eta,
gradients."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mixplugins  # noqa: F401  (registration)
from mixplugins.models.losses import InstanceBCELoss, build_mixture_loss
from mixplugins.models.losses import functional as LF

# Two samples, three classes.
LOGITS = [[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]]


def log_softmax_by_hand(row, k):
    return row[k] - math.log(sum(math.exp(v) for v in row))


def test_soft_target_cross_entropy_by_hand():
    logits = torch.tensor([LOGITS[0]])
    target = torch.tensor([[0.2, 0.8, 0.0]])
    z = math.exp(1) + math.exp(2) + math.exp(0)
    expected = -(0.2 * (1 - math.log(z)) + 0.8 * (2 - math.log(z)))
    assert LF.soft_target_cross_entropy(logits, target).item() == pytest.approx(expected, rel=1e-6)


def test_mixup_soft_cross_entropy_by_hand_per_sample_lam():
    logits = torch.tensor(LOGITS)
    label_a, label_b = torch.tensor([0, 2]), torch.tensor([1, 0])
    z0 = math.exp(1) + math.exp(2) + math.exp(0)
    z1 = math.exp(0.5) + math.exp(-1) + math.exp(3)
    loss0 = -0.3 * (1 - math.log(z0)) - 0.7 * (2 - math.log(z0))
    loss1 = -0.9 * (3 - math.log(z1)) - 0.1 * (0.5 - math.log(z1))
    lam = torch.tensor([0.3, 0.9])
    per_sample = LF.mixup_soft_cross_entropy(logits, label_a, label_b, lam, reduction='none')
    assert per_sample.tolist() == pytest.approx([loss0, loss1], rel=1e-6)
    mean = LF.mixup_soft_cross_entropy(logits, label_a, label_b, lam)
    assert mean.item() == pytest.approx((loss0 + loss1) / 2, rel=1e-6)
    batch_lam = LF.mixup_soft_cross_entropy(logits[:1], label_a[:1], label_b[:1], 0.3)
    assert batch_lam.item() == pytest.approx(loss0, rel=1e-6)


def test_pairwise_bce_by_hand():
    logits = torch.tensor(LOGITS)
    label_a, label_b = torch.tensor([0, 2]), torch.tensor([1, 0])
    p0 = math.exp(1) / (math.exp(1) + math.exp(2))  # classes 0 vs 1 of sample 0
    p1 = math.exp(3) / (math.exp(3) + math.exp(0.5))  # classes 2 vs 0 of sample 1
    loss0 = -0.3 * math.log(p0) - 0.7 * math.log(1 - p0)
    loss1 = -0.6 * math.log(p1) - 0.4 * math.log(1 - p1)
    values = LF.pairwise_bce(logits, label_a, label_b, torch.tensor([0.3, 0.6]), reduction='none')
    assert values.tolist() == pytest.approx([loss0, loss1], rel=1e-6)
    # pBCE ignores the third class: changing its logit does not change the value of sample 0.
    changed = torch.tensor([[1.0, 2.0, 50.0]])
    assert LF.pairwise_bce(changed, label_a[:1], label_b[:1], 0.3).item() == pytest.approx(loss0, rel=1e-6)


def test_instance_bce_by_hand():
    z_m, z_i, z_j = torch.tensor([[0.6, 0.8]]), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    p = math.exp(0.6 / 0.5) / (math.exp(0.6 / 0.5) + math.exp(0.8 / 0.5))
    expected = -0.7 * math.log(p) - 0.3 * math.log(1 - p)
    assert LF.instance_bce(z_m, z_i, z_j, 0.7, temperature=0.5).item() == pytest.approx(expected, rel=1e-6)


# q . k_i = 0.6, q . k_j = 0.8, q . queue rows = -0.6 and 0.0; temperature 0.5.
Q, K_I, K_J = [[0.6, 0.8]], [[1.0, 0.0]], [[0.0, 1.0]]
QUEUE = [[-1.0, 0.0], [0.8, -0.6]]


def embeddings():
    return [torch.tensor(v, requires_grad=True) for v in (Q, K_I, K_J, QUEUE)]


def test_mixup_infonce_by_hand_one_softmax_per_parent():
    q, k_i, k_j, queue = embeddings()
    ce_i = -math.log(math.exp(1.2) / (math.exp(1.2) + math.exp(-1.2) + math.exp(0.0)))
    ce_j = -math.log(math.exp(1.6) / (math.exp(1.6) + math.exp(-1.2) + math.exp(0.0)))
    loss = LF.mixup_infonce(q, k_i, k_j, queue, 0.7, temperature=0.5)
    assert loss.item() == pytest.approx(0.7 * ce_i + 0.3 * ce_j, rel=1e-6)
    loss.backward()
    assert q.grad.abs().sum() > 0 and queue.grad.abs().sum() > 0


def test_joint_soft_infonce_by_hand_one_softmax():
    q, k_i, k_j, queue = embeddings()
    z = math.exp(1.2) + math.exp(1.6) + math.exp(-1.2) + math.exp(0.0)
    expected = -0.7 * (1.2 - math.log(z)) - 0.3 * (1.6 - math.log(z))
    loss = LF.joint_soft_infonce(q, k_i, k_j, queue, 0.7, temperature=0.5)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert q.grad.abs().sum() > 0
    # One softmax over both keys differs from one softmax per parent.
    assert loss.item() != pytest.approx(LF.mixup_infonce(q, k_i, k_j, queue, 0.7, 0.5).item(), rel=1e-3)


def random_unit(*shape, seed):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


@pytest.mark.parametrize('lam,key', [(1.0, 'i'), (0.0, 'j')])
def test_lam_zero_one_reduce_to_plain_infonce(lam, key):
    q, k_i, k_j, queue = (random_unit(4, 8, seed=s) for s in (1, 2, 3, 4))
    key_used, other = (k_i, k_j) if key == 'i' else (k_j, k_i)
    t = 0.2
    plain = F.cross_entropy(torch.cat([(q * key_used).sum(1, keepdim=True), q @ queue.t()], 1) / t,
                            torch.zeros(4, dtype=torch.long))
    assert LF.mixup_infonce(q, k_i, k_j, queue, lam, t).item() == pytest.approx(plain.item(), rel=1e-5)
    # Joint softmax: the other parent's key is one more negative.
    plain_joint = F.cross_entropy(
        torch.cat([(q * key_used).sum(1, keepdim=True), (q * other).sum(1, keepdim=True), q @ queue.t()], 1)
        / t, torch.zeros(4, dtype=torch.long))
    joint = LF.joint_soft_infonce(q, k_i, k_j, queue, lam, t)
    assert joint.item() == pytest.approx(plain_joint.item(), rel=1e-5)


def test_eta_balanced_value_and_eta_changes_loss():
    assert LF.eta_balanced(torch.tensor(2.0), torch.tensor(3.0), 0.5).item() == pytest.approx(3.5)
    logits = torch.tensor(LOGITS)
    label_a, label_b, lam = torch.tensor([0, 2]), torch.tensor([1, 0]), torch.tensor([0.3, 0.6])
    local = MODELS.build(dict(type='PairwiseBCELoss'))(logits, label_a, label_b, lam)
    global_ = MODELS.build(dict(type='MixupSoftCrossEntropyLoss'))(logits, label_a, label_b, lam)
    without = MODELS.build(dict(type='EtaBalancedLoss', eta=0.0))(local, global_)
    with_eta = MODELS.build(dict(type='EtaBalancedLoss', eta=0.5))(local, global_)
    assert without.item() == pytest.approx(local.item())
    assert with_eta.item() == pytest.approx(local.item() + 0.5 * global_.item())
    assert with_eta.item() != pytest.approx(without.item(), rel=1e-3)
    with pytest.raises(ValueError, match='eta'):
        MODELS.build(dict(type='EtaBalancedLoss', eta=-0.1))
    with pytest.raises(ValueError, match='eta'):
        LF.eta_balanced(local, global_, -1.0)


@pytest.mark.parametrize('mode', ['byol', 'simsiam'])
def test_interpolated_cosine_by_hand_and_target_detached(mode):
    pred = torch.tensor([[3.0, 4.0]], requires_grad=True)
    z_i = torch.tensor([[2.0, 0.0]], requires_grad=True)
    z_j = torch.tensor([[0.0, 5.0]], requires_grad=True)
    # normalize(0.5 [1, 0] + 0.5 [0, 1]) = [1, 1] / sqrt(2); pred / |pred| = [0.6, 0.8].
    cosine = (0.6 + 0.8) / math.sqrt(2)
    expected = 2 - 2 * cosine if mode == 'byol' else -cosine
    loss = LF.interpolated_cosine_loss(pred, z_i, z_j, 0.5, mode=mode)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    loss.backward()
    assert pred.grad.abs().sum() > 0
    assert z_i.grad is None and z_j.grad is None
    with pytest.raises(ValueError, match='mode'):
        LF.interpolated_cosine_loss(pred, z_i, z_j, 0.5, mode='moco')


def test_label_smoothing_targets_and_loss_by_hand():
    targets = LF.label_smoothing_targets(torch.tensor([1]), 0.3, 3)
    assert targets[0].tolist() == pytest.approx([0.1, 0.8, 0.1])
    row = LOGITS[0]
    expected = -(0.1 * log_softmax_by_hand(row, 0) + 0.8 * log_softmax_by_hand(row, 1)
                 + 0.1 * log_softmax_by_hand(row, 2))
    loss = LF.label_smoothing_cross_entropy(torch.tensor([row]), torch.tensor([1]), 0.3)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    registered = MODELS.build(dict(type='LabelSmoothingCrossEntropyLoss', eps=0.3, loss_weight=2.0))
    assert registered(torch.tensor([row]), torch.tensor([1])).item() == pytest.approx(2 * expected, rel=1e-6)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match='eps'):
            LF.label_smoothing_targets(torch.tensor([1]), bad, 3)
        with pytest.raises(ValueError, match='eps'):
            MODELS.build(dict(type='LabelSmoothingCrossEntropyLoss', eps=bad))
    with pytest.raises(ValueError, match='num_classes'):
        LF.label_smoothing_cross_entropy(torch.tensor([row]), torch.tensor([1]), 0.3, num_classes=5)


@pytest.mark.parametrize('cfg,functional,args', [
    (dict(type='MixupSoftCrossEntropyLoss'), LF.mixup_soft_cross_entropy, 'cls'),
    (dict(type='PairwiseBCELoss'), LF.pairwise_bce, 'cls'),
    (dict(type='InstanceBCELoss', temperature=0.5), LF.instance_bce, 'instance'),
    (dict(type='MixupInfoNCELoss', temperature=0.5), LF.mixup_infonce, 'queue'),
    (dict(type='JointSoftInfoNCELoss', temperature=0.5), LF.joint_soft_infonce, 'queue'),
    (dict(type='InterpolatedCosineLoss', mode='simsiam'), LF.interpolated_cosine_loss, 'instance'),
])
def test_registered_losses_scale_functional_by_loss_weight(cfg, functional, args):
    lam = torch.tensor([0.3, 0.8])
    if args == 'cls':
        inputs = (torch.tensor(LOGITS), torch.tensor([0, 2]), torch.tensor([1, 0]), lam)
    elif args == 'instance':
        inputs = (*(random_unit(2, 2, seed=s) for s in (5, 6, 7)), lam)
    else:
        inputs = (*(random_unit(2, 2, seed=s) for s in (5, 6, 7, 8)), lam)
    hyper = {k: v for k, v in cfg.items() if k != 'type'}
    expected = functional(*inputs, **hyper)
    loss = MODELS.build(dict(cfg, loss_weight=3.0))(*inputs)
    assert loss.item() == pytest.approx(3 * expected.item(), rel=1e-6)
    assert MODELS.build(dict(cfg, reduction='none'))(*inputs).shape == (2, )


def test_bad_hyper_parameters_name_the_key():
    with pytest.raises(ValueError, match='temperature'):
        MODELS.build(dict(type='MixupInfoNCELoss', temperature=0.0))
    with pytest.raises(ValueError, match='reduction'):
        MODELS.build(dict(type='PairwiseBCELoss', reduction='avg'))
    with pytest.raises(ValueError, match='mode'):
        MODELS.build(dict(type='InterpolatedCosineLoss', mode='moco'))


def test_mixup_soft_cross_entropy_gradient_reaches_logits():
    logits = torch.tensor(LOGITS, requires_grad=True)
    LF.mixup_soft_cross_entropy(logits, torch.tensor([0, 2]), torch.tensor([1, 0]), 0.4).backward()
    # d/dl of soft CE = softmax(l) - q: rows sum to zero and are non-zero.
    assert torch.allclose(logits.grad.sum(1), torch.zeros(2), atol=1e-6)
    assert logits.grad.abs().sum() > 0


def test_mixture_loss_reads_its_inputs_by_name():
    """``for_pairing`` passes the loss's ``inputs``: the parents' targets are ``target`` and ``target[index]``."""
    lam, index = torch.tensor([0.3, 0.8]), torch.tensor([1, 0])
    logits, labels = torch.tensor(LOGITS), torch.tensor([0, 2])
    pbce = MODELS.build(dict(type='PairwiseBCELoss'))
    assert torch.equal(pbce.for_pairing(index, lam, logits=logits, labels=labels, embedding=None),
                       LF.pairwise_bce(logits, labels, labels[index], lam))
    q, k, queue = (random_unit(2, 2, seed=s) for s in (5, 6, 7))
    nce = MODELS.build(dict(type='MixupInfoNCELoss', temperature=0.5))
    assert torch.equal(nce.for_pairing(index, lam, embedding=q, keys=k, queue=queue),
                       LF.mixup_infonce(q, k, k[index], queue, lam, 0.5))
    with pytest.raises(ValueError, match=r"MixupInfoNCELoss reads \['embedding', 'keys', 'queue'\]; \['queue'\]"):
        nce.for_pairing(index, lam, embedding=q, keys=k)


def test_build_mixture_loss_checks_the_inputs_and_defaults_the_temperature():
    instance = [('embedding', 'keys'), ('embedding', 'keys', 'queue')]
    built = build_mixture_loss(dict(type='InstanceBCELoss'), 'loss_local', instance, temperature=0.1)
    assert isinstance(built, InstanceBCELoss) and built.hyper_parameters == dict(temperature=0.1)
    own = build_mixture_loss(dict(type='InstanceBCELoss', temperature=0.3), 'loss_local', instance, 0.1)
    assert own.hyper_parameters == dict(temperature=0.3)
    assert build_mixture_loss(dict(type='PairwiseBCELoss'), 'loss_local', [('logits', 'labels')], 0.1) \
        .hyper_parameters == {}
    allowed = r"\['InstanceBCELoss', 'JointSoftInfoNCELoss', 'MixupInfoNCELoss'\]"
    with pytest.raises(ValueError, match=rf"loss_x must be a dict with type one of {allowed}, got {{'type': "
                                         r"'PairwiseBCELoss'}"):
        build_mixture_loss(dict(type='PairwiseBCELoss'), 'loss_x', instance)
    with pytest.raises(ValueError, match=rf"mix_loss must be a dict with type one of {allowed}, got 'separate'"):
        build_mixture_loss('separate', 'mix_loss', instance)
