"""The one exception type of coordinate storage."""

from __future__ import annotations


class PoseFileError(ValueError):
    """A pose file or pose dataset is unreadable or invalid.

    The message names the file and, where one is at fault, the clip (frame_dir or index) and
    what is wrong with it, so that a broken clip in a 300k-clip annotation can be found.
    """
