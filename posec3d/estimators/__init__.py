"""Person detector and pose estimators: configs kept in the project, training frames, training,
evaluation (COCO box / keypoint AP) and loading, all through mmdet's and mmpose's own code."""
