# Low-quality top-down pose estimator (the paper's MobileNetV2 top-down model, scaled down):
# mmpose TopdownPoseEstimator + MobileNetV2 at width 0.25, stride-16 features, input 64x48,
# MSRA heatmaps at 16x12. Same data and codec family as topdown_hq, much less capacity.
_base_ = ['./topdown_hq.py']
codec = dict(type='MSRAHeatmap', input_size=(48, 64), heatmap_size=(12, 16), sigma=1.0)
model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=0.25, out_indices=(4, ),
                  init_cfg=None),
    head=dict(in_channels=24, deconv_out_channels=(32, 32), deconv_kernel_sizes=(4, 4),
              decoder=codec))
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
