"""The real sample files the tests load (tests/data, sources and licences in its README)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
MINI_UCF101 = DATA / "mini_ucf101.pkl"  # 6 UCF101 clips, HRNet 2D poses, mmaction2/pyskl format
NTU_SAMPLE = DATA / "ntu_sample.avi"  # a real NTU RGB+D clip: 72 frames, 1920x1080, 30 fps

# sha256 of each file, as its README records them: a test checks the copies are intact
SHA256 = {
    MINI_UCF101: "066bae5ffcb7792d38fca3dafbb64d62c3dd2b422a6adafa2f56c50ba2e5cdc1",
    NTU_SAMPLE: "5e6f0de7d4328aae50b3a9cdaf2a8353f1286721060cb00c49e4afafe4e896dd",
}
