"""Detection transfer: C4 transfer configs, backbone-weight extraction, launch scripts, tiny real runs.

Protocol (``docs/methods.md#transfer-and-evaluation-protocol``; BSIM: Chu et al., "A Unified Mixture-View Framework
for Unsupervised Representation Learning", 2022, arXiv:2011.13356, supplementary sec. 3.3) and the three fixes over
mmselfsup's public configs: PyTorch normalisation, a real 2x schedule (24 epochs, milestones 16/22), shared head from
the checkpoint.
"""
import copy
import glob
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import mmdet
import pytest
import torch
from mmengine.config import Config

from helpers.det_data import CLASSES, make_coco, make_voc, tiny_config
from mixplugins.utils.checkpoint import check_pretrained_init

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BENCH = osp.join(REPO, 'configs', 'benchmarks', 'mmdetection')
VOC_CFG = osp.join(BENCH, 'voc0712', 'faster-rcnn_r50-c4_ms-24k_voc0712.py')
COCO_1X_CFG = osp.join(BENCH, 'coco', 'mask-rcnn_r50-c4_ms-1x_coco.py')
COCO_2X_CFG = osp.join(BENCH, 'coco', 'mask-rcnn_r50-c4_ms-2x_coco.py')
MMDET_CAFFE_C4 = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', '_base_', 'models',
                          'faster-rcnn_r50-caffe-c4.py')
SCRIPTS = osp.join(REPO, 'tools', 'benchmarks', 'mmdetection')
BIN = osp.dirname(sys.executable)

# ImageNet statistics in RGB order on the 0-255 scale (torchvision / mmpretrain).
PYTORCH_MEAN = [123.675, 116.28, 103.53]
PYTORCH_STD = [58.395, 57.12, 57.375]
EXTRA_NORM_KEYS = {
    'norm.weight', 'norm.bias', 'norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked'
}


def _load_extractor():
    path = osp.join(REPO, 'tools', 'model_converters', 'extract_backbone_weights.py')
    spec = importlib.util.spec_from_file_location('extract_backbone_weights', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


extractor = _load_extractor()


def _resize_shorter_sides(pipeline):
    resize = next(t for t in pipeline if t['type'] == 'RandomChoiceResize')
    assert resize['keep_ratio'] is True
    assert {long for long, _ in resize['scales']} == {1333}
    return [short for _, short in resize['scales']]


def _leaf_datasets(dataset_cfg):
    if 'datasets' in dataset_cfg:
        return [leaf for child in dataset_cfg['datasets'] for leaf in _leaf_datasets(child)]
    return [dataset_cfg]


# ----------------------------------------------------------------------------------------------- configs
@pytest.fixture(scope='module')
def configs():
    return {
        name: Config.fromfile(path)
        for name, path in (('voc', VOC_CFG), ('coco1x', COCO_1X_CFG), ('coco2x', COCO_2X_CFG))
    }


@pytest.mark.parametrize('name', ['voc', 'coco1x', 'coco2x'])
def test_pytorch_normalisation_replaces_caffe(configs, name):
    """Fix 1: RGB + ImageNet mean/std (the pre-training's), not mmdet's caffe BGR mean / std 1."""
    preprocessor = configs[name].model.data_preprocessor
    assert preprocessor.mean == PYTORCH_MEAN
    assert preprocessor.std == PYTORCH_STD
    assert preprocessor.bgr_to_rgb is True
    caffe = Config.fromfile(MMDET_CAFFE_C4).model.data_preprocessor
    assert caffe.mean == [103.530, 116.280, 123.675] and caffe.std == [1.0, 1.0, 1.0] and not caffe.bgr_to_rgb


@pytest.mark.parametrize('name', ['voc', 'coco1x', 'coco2x'])
def test_syncbn_trainable_pytorch_style_extra_norm(configs, name):
    model = configs[name].model
    backbone, shared_head = model.backbone, model.roi_head.shared_head
    for module in (backbone, shared_head):
        assert module.norm_cfg == dict(type='SyncBN', requires_grad=True)
        assert module.norm_eval is False
        assert module.style == 'pytorch'
    assert backbone.frozen_stages == -1
    assert (backbone.depth, backbone.num_stages, backbone.out_indices) == (50, 3, (2, ))
    assert shared_head.type == 'ResLayerExtraNorm' and (shared_head.depth, shared_head.stage) == (50, 3)


@pytest.mark.parametrize('name', ['voc', 'coco1x', 'coco2x'])
def test_backbone_and_shared_head_init_from_pretrained(configs, name):
    """Fix 3: the shared head (ResNet layer4) is initialised from the same checkpoint as the backbone."""
    model = configs[name].model
    assert model.backbone.init_cfg == dict(type='Pretrained', checkpoint='torchvision://resnet50')
    assert model.roi_head.shared_head.init_cfg == dict(type='Pretrained', checkpoint='torchvision://resnet50')
    # The --cfg-options keys the launch scripts pass reach both modules.
    cfg = copy.deepcopy(configs[name])
    cfg.merge_from_dict({
        'model.backbone.init_cfg.checkpoint': 'x/backbone.pth',
        'model.roi_head.shared_head.init_cfg.checkpoint': 'x/backbone.pth'
    })
    assert cfg.model.backbone.init_cfg.checkpoint == cfg.model.roi_head.shared_head.init_cfg.checkpoint \
        == 'x/backbone.pth'


def test_voc_protocol_24k_iterations_multiscale_and_metrics(configs):
    cfg = configs['voc']
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=24000, val_interval=4000)
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.by_epoch, warmup.end) == ('LinearLR', False, 100)
    assert (steps.type, steps.by_epoch, steps.milestones, steps.gamma) == ('MultiStepLR', False,
                                                                           [18000, 22000], 0.1)
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    assert cfg.train_dataloader.batch_size * 8 == cfg.auto_scale_lr.base_batch_size == 16
    leaves = _leaf_datasets(cfg.train_dataloader.dataset)
    assert [(d.type, d.ann_file, d.data_prefix.sub_data_root)
            for d in leaves] == [('VOCDataset', 'VOC2007/ImageSets/Main/trainval.txt', 'VOC2007/'),
                                 ('VOCDataset', 'VOC2012/ImageSets/Main/trainval.txt', 'VOC2012/')]
    for leaf in leaves:
        assert _resize_shorter_sides(leaf.pipeline) == [480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800]
    test_set = cfg.test_dataloader.dataset
    assert (test_set.ann_file, test_set.data_prefix.sub_data_root) == ('VOC2007/ImageSets/Main/test.txt',
                                                                       'VOC2007/')
    resize = next(t for t in test_set.pipeline if t['type'] == 'Resize')
    assert resize.scale == (1333, 800)
    assert cfg.model.roi_head.bbox_head.num_classes == 20
    voc_metric, coco_style = cfg.test_evaluator
    assert (voc_metric.type, voc_metric.iou_thrs, voc_metric.eval_mode) == ('VOCMetric', 0.5, '11points')
    assert coco_style.type == 'VOCMetric' and coco_style.prefix == 'voc_coco_style'
    assert coco_style.iou_thrs == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    # VOCMetric names each threshold f'AP{int(thr * 100):02d}': AP50 and AP75 must be among the keys.
    assert [f'AP{int(t * 100):02d}' for t in coco_style.iou_thrs] == [f'AP{v}' for v in range(50, 100, 5)]


@pytest.mark.parametrize('name, epochs, milestones', [('coco2x', 24, [16, 22]), ('coco1x', 12, [8, 11])])
def test_coco_schedules(configs, name, epochs, milestones):
    """Fix 2: the 2x config trains 24 epochs with decays at 16 and 22 (mmselfsup's "2x" trained 12)."""
    cfg = configs[name]
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop' and cfg.train_cfg.max_epochs == epochs
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.by_epoch) == ('LinearLR', False)
    assert (steps.type, steps.by_epoch, steps.end, steps.milestones) == ('MultiStepLR', True, epochs,
                                                                         milestones)
    assert cfg.optim_wrapper.optimizer.lr == 0.02 and cfg.train_dataloader.batch_size == 2


def test_coco_multiscale_and_box_mask_metrics(configs):
    cfg = configs['coco2x']
    assert _resize_shorter_sides(cfg.train_dataloader.dataset.pipeline) == [640, 672, 704, 736, 768, 800]
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/instances_train2017.json'
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/instances_val2017.json'
    assert cfg.test_evaluator.type == 'CocoMetric' and cfg.test_evaluator.metric == ['bbox', 'segm']
    assert cfg.model.type == 'MaskRCNN' and cfg.model.roi_head.mask_head.in_channels == 2048


# ------------------------------------------------------------------------------------ weight extraction
def _random_resnet_checkpoint(path, depth):
    """An MMEngine checkpoint shaped like a mixplugins SSL run: online backbone, neck, momentum copy."""
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    backbone = ResNet(depth=depth).state_dict()
    momentum = ResNet(depth=depth).state_dict()
    state_dict = {f'backbone.{k}': v for k, v in backbone.items()}
    state_dict.update({f'momentum_encoder.module.0.{k}': v for k, v in momentum.items()})
    state_dict['neck.fc.weight'] = torch.randn(4, 4)
    torch.save(dict(meta=dict(epoch=1), state_dict=state_dict), path)
    return backbone, momentum


def test_extract_keeps_online_backbone_and_strips_prefix(tmp_path):
    src, dst = str(tmp_path / 'ssl.pth'), str(tmp_path / 'out' / 'backbone.pth')
    backbone, momentum = _random_resnet_checkpoint(src, depth=18)
    extractor.main([src, dst])
    saved = torch.load(dst)['state_dict']
    assert list(saved) == list(backbone)
    assert all(torch.equal(saved[k], backbone[k]) for k in backbone)
    picked = extractor.extract_backbone_weights(src,
                                                str(tmp_path / 'momentum.pth'),
                                                prefix='momentum_encoder.module.0')
    assert list(picked) == list(momentum) and torch.equal(picked['conv1.weight'], momentum['conv1.weight'])
    assert not torch.equal(picked['conv1.weight'], backbone['conv1.weight'])


def test_extracted_backbone_holds_only_tensors_and_plain_values(tmp_path):
    src, dst = str(tmp_path / 'ssl.pth'), str(tmp_path / 'backbone.pth')
    backbone, _ = _random_resnet_checkpoint(src, depth=18)
    extractor.main([src, dst])
    content = torch.load(dst, map_location='cpu', weights_only=True)
    assert type(content) is dict and set(content) == {'state_dict', 'meta'}
    assert type(content['state_dict']) is dict and list(content['state_dict']) == list(backbone)
    assert all(type(value) is torch.Tensor for value in content['state_dict'].values())
    assert content['meta'] == dict(source=src, prefix='backbone.')


def test_extract_reads_a_full_mmengine_checkpoint_only_with_the_opt_in(tmp_path):
    """A runner checkpoint carries its message hub (``HistoryBuffer`` objects): refused unless opted in."""
    from mmengine.logging import MessageHub
    from mixplugins.utils.checkpoint import UnsafePickleError
    src, dst = str(tmp_path / 'epoch_1.pth'), str(tmp_path / 'backbone.pth')
    backbone, _ = _random_resnet_checkpoint(src, depth=18)
    checkpoint = torch.load(src)
    hub = MessageHub.get_instance('test_det_transfer_full_checkpoint')
    hub.update_scalar('train/loss', 1.5)
    torch.save(dict(checkpoint, message_hub=hub.state_dict()), src)
    with pytest.raises(UnsafePickleError, match='HistoryBuffer.*--allow-unsafe-pickle'):
        extractor.main([src, dst])
    assert not osp.exists(dst)
    extractor.main([src, dst, '--allow-unsafe-pickle'])
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert list(saved) == list(backbone) and all(torch.equal(saved[k], backbone[k]) for k in backbone)


def test_extract_errors(tmp_path):
    path = str(tmp_path / 'head_only.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2), 'neck.fc.bias': torch.zeros(2)}), path)
    with pytest.raises(KeyError,
                       match=r"--prefix='backbone\.' matches no key.*'head\.' \(1 keys\), 'neck\.' \(1 keys\)"):
        extractor.extract_backbone_weights(path, str(tmp_path / 'out.pth'))
    assert not osp.exists(tmp_path / 'out.pth')
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        extractor.extract_backbone_weights(missing, str(tmp_path / 'out.pth'))
    with pytest.raises(ValueError, match='prefix must be a non-empty'):
        extractor.extract_backbone_state_dict({'backbone.a': torch.zeros(1)}, prefix='')


def _build_detector(cfg):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    import mmpretrain.models.utils.res_layer_extra_norm  # noqa: F401  (ResLayerExtraNorm into mmdet's MODELS)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('config_path', [VOC_CFG, COCO_2X_CFG], ids=['faster_voc', 'mask_coco'])
def test_extracted_weights_load_into_backbone_and_shared_head(tmp_path, config_path):
    """Backbone + shared head take every checkpoint tensor; only the extra norm is not in the checkpoint."""
    src, dst = str(tmp_path / 'sup.pth'), str(tmp_path / 'backbone.pth')
    _random_resnet_checkpoint(src, depth=50)
    weights = extractor.extract_backbone_weights(src, dst)
    cfg = Config.fromfile(config_path)
    bn = dict(type='BN', requires_grad=True)  # SyncBN needs a process group; the keys are the same
    cfg.merge_from_dict({
        'model.backbone.norm_cfg': bn,
        'model.roi_head.shared_head.norm_cfg': bn,
        'model.backbone.init_cfg.checkpoint': dst,
        'model.roi_head.shared_head.init_cfg.checkpoint': dst
    })
    model = _build_detector(cfg)
    backbone = model.backbone.state_dict()
    shared_head = model.roi_head.shared_head.state_dict()
    ckpt_keys = set(weights)
    assert set(backbone) == {k for k in ckpt_keys if not k.startswith('layer4.')}
    assert set(shared_head) - ckpt_keys == EXTRA_NORM_KEYS
    assert set(shared_head) & ckpt_keys == {k for k in ckpt_keys if k.startswith('layer4.')}
    assert ckpt_keys <= set(backbone) | set(shared_head)
    for key, value in backbone.items():
        assert torch.equal(value, weights[key]), key
    for key in set(shared_head) - EXTRA_NORM_KEYS:
        assert torch.equal(shared_head[key], weights[key]), key
    assert torch.equal(shared_head['norm.weight'], torch.ones(2048))
    check_pretrained_init(model.backbone, 'model.backbone.init_cfg', partial=True)
    check_pretrained_init(model.roi_head.shared_head, 'model.roi_head.shared_head.init_cfg', partial=True,
                          new_prefixes=('norm.', ))
    with pytest.raises(KeyError, match=r"missing \['norm.bias', .*\(5 keys\)"):
        check_pretrained_init(model.roi_head.shared_head, 'model.roi_head.shared_head.init_cfg', partial=True)


def test_pretrained_check_rejects_a_checkpoint_that_would_load_nothing(tmp_path):
    """A full training checkpoint without prefix='backbone.' matches no key: mmengine would load nothing."""
    from mmdet.models.backbones import ResNet
    src = str(tmp_path / 'ssl.pth')
    _random_resnet_checkpoint(src, depth=18)
    backbone = ResNet(depth=18, num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ),
                      init_cfg=dict(type='Pretrained', checkpoint=src))
    with pytest.raises(KeyError, match=r"model.backbone.init_cfg.checkpoint: .*ssl.pth "
                                       r"\(model.backbone.init_cfg.prefix=None\) does not hold.*"
                                       r"missing \['bn1.bias'.*prefix='backbone.'"):
        check_pretrained_init(backbone, 'model.backbone.init_cfg', partial=True)
    backbone.init_cfg['prefix'] = 'backbone.'
    assert set(check_pretrained_init(backbone, 'model.backbone.init_cfg', partial=True)) > set(backbone.state_dict())
    backbone.init_cfg = None
    with pytest.raises(ValueError, match=r"model.backbone.init_cfg must be dict\(type='Pretrained'"):
        check_pretrained_init(backbone, 'model.backbone.init_cfg', partial=True)


def test_res_layer_extra_norm_normalises_stage5_output():
    """out = Norm(layer4(x)); eval-mode BN: (y - running_mean) / sqrt(running_var + eps) * w + b."""
    from mmpretrain.models.utils import ResLayerExtraNorm
    head = ResLayerExtraNorm(depth=18, stage=3, norm_cfg=dict(type='BN', requires_grad=True))
    head.eval()  # mmdet's ResLayer.train() returns None, so no chaining
    assert [name for name, _ in head.named_children()] == ['layer4', 'norm']
    with torch.no_grad():
        head.norm.running_mean.fill_(0.5)
        head.norm.running_var.fill_(4.0)
        head.norm.weight.fill_(3.0)
        head.norm.bias.fill_(-1.0)
        x = torch.randn(2, 256, 6, 6)
        stage5 = head.layer4(x)
        out = head(x)
    assert out.shape == (2, 512, 3, 3)
    assert torch.allclose(out, (stage5 - 0.5) / (4.0 + 1e-5)**0.5 * 3.0 - 1.0, atol=1e-5)


# ------------------------------------------------------------------------------------- launch scripts
def _fake_command(bin_dir, name, log_path):
    """An executable ``name`` that writes its argv (one per line) and PYTHONPATH to ``log_path``."""
    path = osp.join(bin_dir, name)
    with open(path, 'w') as f:
        f.write(f'#!/usr/bin/env bash\n'
                f'if [ "$1" = "-c" ]; then exec {sys.executable} "$@"; fi\n'
                f'printf "%s\\n" "$@" > {log_path}\necho "PYTHONPATH=$PYTHONPATH" >> {log_path}\n')
    os.chmod(path, 0o755)
    return path


def _run_script(tmp_path, script, args, env_extra, fake='mim'):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / f'{fake}.args'
    fake_path = _fake_command(str(bin_dir), fake, log)
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}', **env_extra)
    if fake == 'python':
        env['PYTHON'] = fake_path
    subprocess.run(['bash', osp.join(SCRIPTS, script)] + args, check=True, env=env, cwd=str(tmp_path))
    return log.read_text().splitlines()


def _after(argv, flag):
    return argv[argv.index(flag) + 1]


PRETRAIN_OPTIONS = [
    'model.backbone.init_cfg.type=Pretrained', 'model.backbone.init_cfg.checkpoint=ck/b.pth',
    'model.roi_head.shared_head.init_cfg.type=Pretrained',
    'model.roi_head.shared_head.init_cfg.checkpoint=ck/b.pth'
]


def test_dist_train_script_passes_pretrain_to_backbone_and_shared_head(tmp_path):
    cfg = 'configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py'
    argv = _run_script(tmp_path, 'mim_dist_train_c4.sh', [cfg, 'ck/b.pth', '--resume'],
                       dict(GPUS='4', PORT='29511'))
    assert argv[:5] == ['train', 'mmdet', cfg, '--launcher', 'pytorch']
    assert (_after(argv, '-G'), _after(argv, '--port')) == ('4', '29511')
    assert _after(argv, '--work-dir') == \
        'work_dirs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712/b.pth'
    start = argv.index('--cfg-options') + 1
    assert argv[start:start + 5] == PRETRAIN_OPTIONS + ['--resume']
    assert argv[-1] == f'PYTHONPATH={REPO}'


def test_dist_train_script_multi_node_uses_torch_distributed_run(tmp_path):
    argv = _run_script(tmp_path,
                       'mim_dist_train_c4.sh', ['c.py', 'ck/b.pth'],
                       dict(GPUS='2', NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.1', PORT='29600'),
                       fake='python')
    assert argv[:7] == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1', '--master_addr=10.0.0.1',
        '--nproc_per_node=2', '--master_port=29600'
    ]
    assert argv[7].endswith(osp.join('mmdet', '.mim', 'tools', 'train.py')) and osp.isfile(argv[7])
    assert argv[8:11] == ['c.py', '--launcher', 'pytorch']
    start = argv.index('--cfg-options') + 1
    assert argv[start:start + 4] == PRETRAIN_OPTIONS


def test_slurm_and_test_scripts(tmp_path):
    argv = _run_script(tmp_path, 'mim_slurm_train_c4.sh', ['part', 'c.py', 'ck/b.pth'],
                       dict(GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='3'))
    assert argv[:5] == ['train', 'mmdet', 'c.py', '--launcher', 'slurm']
    assert [_after(argv, f) for f in ('-G', '--gpus-per-node', '--cpus-per-task', '--partition')] == \
        ['16', '8', '3', 'part']
    start = argv.index('--cfg-options') + 1
    assert argv[start:start + 4] == PRETRAIN_OPTIONS
    argv = _run_script(tmp_path, 'mim_dist_test.sh', ['c.py', 'w/iter_24000.pth'], dict(GPUS='2'))
    assert argv[:5] == ['test', 'mmdet', 'c.py', '--checkpoint', 'w/iter_24000.pth']
    assert (_after(argv, '--launcher'), _after(argv, '-G')) == ('pytorch', '2')
    argv = _run_script(tmp_path, 'mim_slurm_test.sh', ['part', 'c.py', 'w/epoch_24.pth'], {})
    assert argv[:5] == ['test', 'mmdet', 'c.py', '--checkpoint', 'w/epoch_24.pth']
    assert (_after(argv, '--launcher'), _after(argv, '--partition'), _after(argv,
                                                                            '-G')) == ('slurm', 'part', '8')
    usage = subprocess.run(['bash', osp.join(SCRIPTS, 'mim_dist_train_c4.sh'), 'only_config.py'],
                           capture_output=True,
                           text=True)
    assert usage.returncode == 2 and 'usage' in usage.stderr


# -------------------------------------------------------------------------------------------- data sets
def test_generated_voc_and_coco_sets_load_in_mmdet(tmp_path):
    from mmdet.datasets import CocoDataset, VOCDataset
    voc = make_voc(tmp_path / 'v', n_trainval=3, n_test=2, seed=1)
    coco = make_coco(tmp_path / 'c', n_train=3, n_val=2, seed=1)
    voc_set = VOCDataset(data_root=voc['data_root'],
                         ann_file='VOC2007/ImageSets/Main/test.txt',
                         data_prefix=dict(sub_data_root='VOC2007/'),
                         metainfo=dict(classes=CLASSES),
                         test_mode=True)
    coco_set = CocoDataset(data_root=coco['data_root'],
                           ann_file='annotations/instances_val2017.json',
                           data_prefix=dict(img='val2017/'),
                           metainfo=dict(classes=CLASSES),
                           test_mode=True)
    for dataset, images in ((voc_set, voc['splits']['VOC2007/test']), (coco_set, coco['splits']['val2017'])):
        assert len(dataset) == len(images) == 2
        for index, image in enumerate(images):
            info = dataset.get_data_info(index)
            assert (info['height'], info['width']) == (image['height'], image['width'])
            assert [i['bbox_label'] for i in info['instances']] == [o['label'] for o in image['objects']]
            # VOC stores 1-based corners, COCO x, y, w, h; both read back as the 0-based inclusive corners
            # (mmdet's COCO x2 = x + w is exclusive, hence the +1).
            offset = 1 if dataset is coco_set else 0
            boxes = [o['bbox'] for o in image['objects']]
            expected = [[x1, y1, x2 + offset, y2 + offset] for x1, y1, x2, y2 in boxes]
            assert [i['bbox'] for i in info['instances']] == expected
    again = make_voc(tmp_path / 'v2', n_trainval=3, n_test=2, seed=1)
    assert again['splits']['VOC2007/test'][0]['objects'] == voc['splits']['VOC2007/test'][0]['objects']


# ------------------------------------------------------------------------------------------ tiny runs
def _scalars(work_dir):
    """Metrics logged by the runs in ``work_dir`` (LoggerHook json lines), merged."""
    merged = {}
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')) +
            glob.glob(osp.join(work_dir, '*', '*.json'))):
        with open(path) as f:
            for line in f:
                merged.update(json.loads(line))
    return merged


def _run_mim(args, cwd):
    """Run the venv's ``mim`` with ``args``; on failure show the end of its output."""
    env = dict(os.environ, PATH=f'{BIN}:{os.environ["PATH"]}', PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    result = subprocess.run([shutil.which('mim', path=BIN)] + args, env=env, cwd=cwd, capture_output=True,
                            text=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


@pytest.mark.slow
def test_tiny_voc_run_through_mim_train_and_test(tmp_path):
    data = make_voc(tmp_path / 'data', n_trainval=4, n_test=4, seed=0)
    src, backbone_path = str(tmp_path / 'sup.pth'), str(tmp_path / 'backbone.pth')
    backbone, _ = _random_resnet_checkpoint(src, depth=18)
    extractor.main([src, backbone_path])
    work_dir = str(tmp_path / 'work')
    cfg = tiny_config(Config.fromfile(VOC_CFG), data['data_root'], work_dir, max_iters=2,
                      pretrained=str(tmp_path / 'not_written.pth'))
    cfg.train_cfg.val_interval = 3  # no validation inside training: `mim test` evaluates
    cfg_path = str(tmp_path / 'tiny_voc.py')
    cfg.dump(cfg_path)
    # The pretrained path set on the command line (as the launch scripts do) replaces the config's one.
    log = _run_mim(['train', 'mmdet', cfg_path, '--work-dir', work_dir, '--cfg-options',
                    f'model.backbone.init_cfg.checkpoint={backbone_path}',
                    f'model.roi_head.shared_head.init_cfg.checkpoint={backbone_path}'], cwd=str(tmp_path))
    assert 'C4PretrainedCheckHook: the backbone and shared-head checkpoints hold all their tensors' in log
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    trained = torch.load(checkpoint, map_location='cpu')['state_dict']
    assert 'roi_head.shared_head.norm.weight' in trained
    # Two small SGD steps from the command-line checkpoint: backbone and shared head still match it closely.
    for trained_key, key in (('backbone.conv1.weight', 'conv1.weight'),
                             ('roi_head.shared_head.layer4.0.conv1.weight', 'layer4.0.conv1.weight')):
        similarity = torch.cosine_similarity(trained[trained_key].flatten(), backbone[key].flatten(), dim=0)
        assert similarity > 0.95, (trained_key, similarity)
    test_dir = str(tmp_path / 'test')
    _run_mim(['test', 'mmdet', cfg_path, '--checkpoint', checkpoint, '--work-dir', test_dir],
             cwd=str(tmp_path))
    metrics = _scalars(test_dir)
    for key in ('pascal_voc/mAP', 'voc_coco_style/mAP', 'voc_coco_style/AP50', 'voc_coco_style/AP75'):
        assert 0.0 <= metrics[key] <= 1.0, key
    # mAP@0.5 of the first metric is the AP50 of the COCO-style one (same VOC07 11-point AP at IoU 0.5), and
    # the COCO-style AP is the mean over the ten thresholds.
    assert metrics['pascal_voc/mAP'] == pytest.approx(metrics['voc_coco_style/AP50'], abs=1e-3)
    per_threshold = [metrics[f'voc_coco_style/AP{t}'] for t in range(50, 100, 5)]
    assert metrics['voc_coco_style/mAP'] == pytest.approx(sum(per_threshold) / 10, abs=1e-3)


@pytest.mark.slow
def test_tiny_coco_mask_rcnn_run_reports_box_and_mask_ap(tmp_path):
    from mmengine.runner import Runner
    data = make_coco(tmp_path / 'data', n_train=4, n_val=3, seed=2)
    cfg = tiny_config(Config.fromfile(COCO_2X_CFG), data['data_root'], str(tmp_path / 'work'), max_epochs=1)
    runner = Runner.from_cfg(cfg)
    runner.train()  # validates after its single epoch
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP', 'coco/segm_mAP_50'):
        assert 0.0 <= runner.message_hub.get_scalar(f'val/{key}').current() <= 1.0, key
    assert osp.isfile(osp.join(str(tmp_path / 'work'), 'epoch_1.pth'))
