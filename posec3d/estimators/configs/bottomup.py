# Bottom-up pose estimator with an HRNet backbone: mmpose BottomupPoseEstimator + small HRNet
# (multi-resolution features concatenated) + CID head (contextual instance decoupling), on whole
# frames resized to 224x128 (video frames are ~224x126). Of mmpose 1.x's trainable HRNet bottom-up
# models, DEKR's deformable convolutions take ~3 s per backward step on CPU and associative
# embedding's training path is incomplete in mmpose 1.3; CID needs neither.
_base_ = ['./_pose_runtime.py']
input_size = (224, 128)  # (w, h), multiples of 32
codec = dict(type='DecoupledHeatmap', input_size=input_size, heatmap_size=(56, 32),
             root_type='kpt_center', heatmap_min_overlap=0.7, encode_max_instances=10)

model = dict(
    type='BottomupPoseEstimator',
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
            stage4=dict(num_modules=1, num_branches=4, block='BASIC', num_blocks=(2, 2, 2, 2),
                        num_channels=(16, 32, 64, 128), multiscale_output=True)),
        init_cfg=None),
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(
        type='CIDHead',
        in_channels=240,  # sum of the stage-4 widths
        num_keypoints=17,
        gfd_channels=16,
        coupled_heatmap_loss=dict(type='FocalHeatmapLoss', loss_weight=1.0),
        decoupled_heatmap_loss=dict(type='FocalHeatmapLoss', loss_weight=4.0),
        contrastive_loss=dict(type='InfoNCELoss', temperature=0.05, loss_weight=1.0),
        decoder=codec),
    train_cfg=dict(max_train_instances=50),
    test_cfg=dict(multiscale_test=False, flip_test=False, shift_heatmap=False,
                  align_corners=False))

dataset_type = 'CocoDataset'
data_mode = 'bottomup'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupRandomAffine', input_size=codec['input_size']),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='BottomupGetHeatmapMask'),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=codec['input_size'], size_factor=32,
         resize_mode='expand'),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'crowd_index', 'ori_shape', 'img_shape',
                    'input_size', 'input_center', 'input_scale', 'flip', 'flip_direction',
                    'flip_indices', 'raw_ann_info', 'skeleton_links'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root='', data_mode=data_mode, ann_file='train.json',
                 data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root='', data_mode=data_mode, ann_file='val.json',
                 data_prefix=dict(img='images/'), test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file='val.json', nms_mode='none', score_mode='keypoint')
test_evaluator = val_evaluator
