# Low-quality top-down pose estimator: the paper's MobileNetV2 top-down model (mmpose's
# MobileNetV2 SimpleBaseline) at its full width 1.0, on topdown_hq's input (64x48) and heatmaps
# (32x24): as in the paper, LQ and HQ differ in the backbone only. Stride-16 features, three
# deconvolutions up to stride 2. Measured (benchmarks/estimators.md): at 600 iterations this
# sits 0.09 AP below hq, the paper's gap; width 0.25 with 16x12 heatmaps (the earlier config)
# sat 0.21 below at AP 0.045, unusable.
_base_ = ['./topdown_hq.py']
model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0, out_indices=(4, ),
                  init_cfg=None),
    head=dict(in_channels=96, deconv_out_channels=(32, 32, 32), deconv_kernel_sizes=(4, 4, 4)))
