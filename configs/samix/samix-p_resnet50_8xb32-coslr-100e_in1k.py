# SAMix^P, supervised ResNet-50, ImageNet-1k, 100 epochs (Li et al., "Boosting Discriminative Visual Representation
# Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.2, 4.1;
# docs/methods.md#pre-trained-mixer-samixp): a plain ImageClassifier whose batch augment is a frozen Mixer pre-trained
# once on IN-1k with ResNet-18 (supervised SAMix, 100 epochs); no Mixer loss, no backward through it; scores mixed
# with the mask mean (= lam after lam adjusting). Train the Mixer with pretrained_mixer_from and export it:
#   tools/dist_train.sh configs/samix/samix_resnet18_8xb32-coslr-100e_in1k.py 8 --work-dir work_dirs/samix_r18_in1k
#   python tools/model_converters/export_mixer.py work_dirs/samix_r18_in1k/epoch_100.pth \
#       work_dirs/pretrained_mixers/samix_r18_in1k_mixer.pth --allow-unsafe-pickle
_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

pretrained_mixer = 'work_dirs/pretrained_mixers/samix_r18_in1k_mixer.pth'
pretrained_mixer_from = 'configs/samix/samix_resnet18_8xb32-coslr-100e_in1k.py'  # the config it was trained by
model = dict(
    head=dict(loss=dict(type='CrossEntropyLoss', loss_weight=1.0, use_soft=True)),
    train_cfg=dict(augments=dict(type='PretrainedMixer', checkpoint=pretrained_mixer, alpha=2.0)))
param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
# each rank draws its own mixing (docs/methods.md#notation-and-conventions)
randomness = dict(diff_rank_seed=True)
