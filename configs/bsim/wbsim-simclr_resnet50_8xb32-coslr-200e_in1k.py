# simclr-WBSIM (BSIM supplementary, Eq. 1; Chu et al., "A Unified Mixture-View Framework for Unsupervised
# Representation Learning", 2022, arXiv:2011.13356; docs/methods.md#bsim-and-wbsim): L = 0.5 L_BSIM + 0.5 L_simclr.
_base_ = './bsim-simclr_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(w_bsim=0.5, w_sim=0.5)
