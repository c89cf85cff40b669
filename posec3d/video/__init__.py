"""Videos: a reader for rendered and real videos, and the renderer of the synthetic scenes.

    frames = render_clip(clip, scenes["meta"], width=224, seed=0)    # uint8 [T, h, w, 3]
    render_dataset("data/ntu60/scenes.npz", "data/ntu60/videos", width=224)
    frames = read_video("data/ntu60/videos/<frame_dir>.avi")

Modules: io (read/write, VideoError), backdrop (floor and walls), figures (bodies and boxes
as drawing primitives), render (clips and datasets), annotations (ground truth in video pixels),
commands (the `posec3d render` subcommand).
"""

from __future__ import annotations

from .annotations import video_annotations
from .io import VideoError, VideoInfo, check_indexed_size, iter_video, read_video, video_info, write_video
from .render import render_clip, render_dataset, video_size

__all__ = ["VideoError", "VideoInfo", "check_indexed_size", "iter_video", "read_video", "render_clip", "render_dataset",
           "video_annotations", "video_info", "video_size", "write_video"]
