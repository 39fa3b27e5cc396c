# byol-WBSIM on the embedded digits (BSIM supplementary, Eq. 1; Chu et al., "A Unified Mixture-View Framework for
# Unsupervised Representation Learning", 2022, arXiv:2011.13356; docs/methods.md#bsim-and-wbsim): L = 0.5 L_BSIM + 0.5
# L_byol.
_base_ = './bsim-byol_resnet18-cifar_1xb16-coslr-120e_digits.py'

model = dict(w_bsim=0.5, w_sim=0.5)
