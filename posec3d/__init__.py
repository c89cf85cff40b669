"""posec3d-bench: skeleton-based action recognition from PoseC3D (CVPR 2022), reproducibly."""

__version__ = "0.1.0"
