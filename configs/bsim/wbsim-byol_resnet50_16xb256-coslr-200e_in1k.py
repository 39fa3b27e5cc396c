# byol-WBSIM (000_9be933358e97b3b9.txt supp. Eq. 1): L = 0.5 L_BSIM + 0.5 L_byol.
_base_ = './bsim-byol_resnet50_16xb256-coslr-200e_in1k.py'

model = dict(w_bsim=0.5, w_sim=0.5)
