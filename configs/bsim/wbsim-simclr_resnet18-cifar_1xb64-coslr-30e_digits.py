# simclr-WBSIM on the embedded digits (000_9be933358e97b3b9.txt supp. Eq. 1): L = 0.5 L_BSIM + 0.5 L_simclr.
_base_ = './bsim-simclr_resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(w_bsim=0.5, w_sim=0.5)
