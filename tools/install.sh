#!/usr/bin/env bash
# Set up the project's virtual environment (.venv) with the pinned stack.
#
# Idempotent: a finished install leaves a stamp keyed by the requirement files, and a second
# run with unchanged files returns at once. The quirks of the stack (README, "Set-up"):
#   * torch/torchvision are pinned with '===' so that pip takes PyPI's matching pair, not a
#     local CPU-only torch wheel that PyPI's torchvision cannot import against;
#   * mmcv 2.1.0 exists only as source: it is built once with its CPU ops (most of a
#     24-minute first install on 2 cores) and the wheel is cached in $POSEC3D_WHEEL_CACHE;
#   * mmpose is installed without dependencies (chumpy does not build and is not used);
#     xtcocotools is rebuilt from source against numpy 2;
#   * mmengine needs setuptools<81 at run time (pkg_resources).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${POSEC3D_VENV:-$root/.venv}
cache=${POSEC3D_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/posec3d-bench/wheels}
python=${PYTHON:-python3}

stamp_key=$(cat "$root/pyproject.toml" "$root"/requirements/*.txt "$0" | sha256sum | cut -c1-16)
stamp="$venv/.posec3d-installed-$stamp_key"
if [[ -f $stamp ]]; then
    exit 0
fi

log() { printf '[install] %s\n' "$*" >&2; }

if [[ ! -x $venv/bin/python ]]; then
    log "creating $venv"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off)

log "build tools"
"${pip[@]}" -q --upgrade "pip>=24" "setuptools<81" wheel
log "torch/torchvision (PyPI builds; several GB on the first run, then from pip's cache)"
"${pip[@]}" -q -r "$root/requirements/stack.txt"

log "posec3d and its Python dependencies"
"${pip[@]}" -q -e "$root[dev]"

mmcv_wheel=$(ls "$cache"/mmcv-2.1.0-*.whl 2>/dev/null | head -n 1 || true)
if [[ -z $mmcv_wheel ]]; then
    log "building mmcv 2.1.0 with CPU ops (the longest step by far; cached in $cache)"
    mkdir -p "$cache"
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$venv/bin/python" -m pip wheel \
        --no-build-isolation --no-deps --no-binary mmcv -w "$cache" mmcv==2.1.0
    mmcv_wheel=$(ls "$cache"/mmcv-2.1.0-*.whl | head -n 1)
fi
log "OpenMMLab stack"
"${pip[@]}" -q --no-deps "$mmcv_wheel"
# xtcocotools' setup.py imports numpy and needs Cython but declares neither: build it in this
# environment (numpy 2), not in an isolated one.
"${pip[@]}" -q "cython>=3,<4"
"${pip[@]}" -q --no-build-isolation --no-binary xtcocotools xtcocotools==1.14.3
"${pip[@]}" -q --no-deps -r "$root/requirements/openmmlab.txt"
# The packages above declare dependencies this project replaces on purpose (headless OpenCV for
# opencv-python and opencv-contrib-python; no chumpy, no decord): pip's conflict report would
# print them as an ERROR block on every clean install. The import check below is the real test.
"${pip[@]}" -q --no-warn-conflicts -r "$root/requirements/openmmlab-deps.txt"

"$venv/bin/python" -c "import torch, torchvision, mmcv, mmdet, mmpose; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'mmcv', mmcv.__version__, 'mmdet', mmdet.__version__, 'mmpose', mmpose.__version__)" >&2
rm -f "$venv"/.posec3d-installed-*
touch "$stamp"
log "done: $venv"
