# mocov2-WBSIM on the embedded digits (000_9be933358e97b3b9.txt supp. Eq. 1): L = 0.5 L_BSIM + 0.5 L_mocov2.
_base_ = './bsim-mocov2_resnet18-cifar_1xb64-coslr-40e_digits.py'

model = dict(w_bsim=0.5, w_sim=0.5)
