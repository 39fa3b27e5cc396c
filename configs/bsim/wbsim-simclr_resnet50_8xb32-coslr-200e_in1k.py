# simclr-WBSIM (000_9be933358e97b3b9.txt supp. Eq. 1): L = 0.5 L_BSIM + 0.5 L_simclr.
_base_ = './bsim-simclr_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(w_bsim=0.5, w_sim=0.5)
