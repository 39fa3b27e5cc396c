# Supervised ManifoldMix (Verma et al., ICML 2019, arXiv:1806.05236; a baseline of the SAMix paper,
# arXiv:2111.15454) on the embedded digits: the vanilla digits recipe of the Mixup / CutMix / AutoMix / SAMix
# comparison (same data, model and schedule) with the hidden features of a random stage mixed -- k uniform in
# {0 (the input), 1, 2 (after residual stages 1, 2)} as in the paper -- and mixup cross-entropy, lam ~ Beta(2, 2).
_base_ = '../samix/resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(type='ManifoldMixClassifier', alpha=2.0, stages=(0, 1, 2), pairing='random')
