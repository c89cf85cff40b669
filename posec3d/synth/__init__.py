"""The synthetic action world: procedural 3D people acting in scenes that mimic the paper's datasets.

Since the paper's datasets are not available here, one generator, configured per dataset analog
("gym", "ntu60", "ntu120", "k400", "volleyball"), mimics for each the factor that a paper table
studies: distractor persons, variable clip lengths, subjects / views / setups, two-person
interactions, crowded group scenes, 3D joints and their sensor noise.

    cfg = synth_config("ntu60", num_classes=10, clips_per_class=12)
    scenes = generate(cfg, seed=0)                 # every person, plus what a renderer needs
    poses = pose_source(scenes, "gt-2d")           # the annotation dataset a model trains on

Modules: body (articulated body, forward kinematics), primitives (the named movements),
motions (routines, styles, procedural classes), scene (camera, visibility, boxes), analogs
(staging per dataset), sensor (3D sensor noise), datasets (configs, presets, splits),
generate (the generator and the pose sources).
"""

from __future__ import annotations

from .datasets import PRESETS, SynthConfig, synth_config
from .generate import POSE_SOURCES, generate, is_scenes, pose_source

__all__ = ["POSE_SOURCES", "PRESETS", "SynthConfig", "generate", "is_scenes", "pose_source", "synth_config"]
