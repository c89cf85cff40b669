# High-quality top-down pose estimator: mmpose TopdownPoseEstimator + a small HRNet (HRNet-w32's
# four-stage, parallel multi-resolution design at width 16), input 64x48 crops of the person box,
# MSRA heatmaps at 32x24. Widths/iterations overridable (train.py `set`).
_base_ = ['./_pose_runtime.py']
input_size = (48, 64)  # (w, h)
# plain MSRA decoding (quarter-pixel shift), as HRNet-w32's COCO config; DARK (unbiased=True)
# costs more than the network on a CPU
codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=(24, 32), sigma=1.5)

model = dict(
    type='TopdownPoseEstimator',
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(2, ),
                        num_channels=(16, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(2, 2),
                        num_channels=(16, 32)),
            stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(2, 2, 2),
                        num_channels=(16, 32, 64)),
            # three resolutions (strides 4-16): a 48-px-wide crop has no stride-32 branch
            stage4=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(2, 2, 2),
                        num_channels=(16, 32, 64))),
        init_cfg=None),
    head=dict(
        type='HeatmapHead',
        in_channels=16,
        out_channels=17,
        deconv_out_channels=(16, ),
        deconv_kernel_sizes=(4, ),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=False))

dataset_type = 'CocoDataset'
data_mode = 'topdown'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root='', data_mode=data_mode, ann_file='train.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root='', data_mode=data_mode, ann_file='val.json',
                 data_prefix=dict(img='images/'), test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader
