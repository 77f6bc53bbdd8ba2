#!/usr/bin/env bash
# Training and sampling throughput on one GPU (issue 16), printed as one table:
# trained characters/s for both objectives at batch 1024 and 4096 (plus all-positions at stride
# 40, every position) and sampling characters/s for 1 stream and 4096 streams.
#
# For a GPU machine with python3.12, JAX + jaxlib with CUDA (and torch), and no TensorFlow, no
# Django, no database: it runs generator/ml only, on the JAX backend, with the text shipped in
# tests/ml/fixtures. Run from anywhere:   bash bench/gpu.sh   (extra flags go to the python
# entry, e.g. --sampler module:function to time another sampling engine, or --json out.json).
#
# Keras travels as wheels in .whl/ at the repository root (installed with --no-deps into
# /tmp/site). Needed there (versions as in requirements.lock; the two binary ones for cp312):
#   keras-3.15.1-py3-none-any.whl          namex-0.1.0-py3-none-any.whl
#   absl_py-2.5.1-py3-none-any.whl         rich-15.0.0-py3-none-any.whl
#   markdown_it_py-4.3.0-py3-none-any.whl  mdurl-0.1.2-py3-none-any.whl
#   pygments-2.21.0-py3-none-any.whl       packaging-26.4-py3-none-any.whl
#   optree-0.20.0-cp312-*-manylinux*_x86_64.whl
#   h5py-3.14.0-cp312-*-manylinux*_x86_64.whl      (Keras imports it; the sampling part saves
#                                                   a textgenrnn weights file with it)
# ml_dtypes, numpy, scipy and opt_einsum come with jax. To fetch them all on a machine with
# internet access:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 -d .whl \
#     keras==3.15.1 namex==0.1.0 absl-py==2.5.1 rich==15.0.0 markdown-it-py==4.3.0 \
#     mdurl==0.1.2 pygments==2.21.0 packaging==26.4 optree==0.20.0 h5py==3.14.0
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if ! ls .whl/*.whl >/dev/null 2>&1; then
  echo "no wheels in $repo/.whl: see the list at the top of bench/gpu.sh" >&2
  exit 1
fi
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$repo${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax
python3 -c 'import jax; print("jax", jax.__version__, jax.devices())'
python3 bench/_gpu_throughput.py --batch-sizes 1024 4096 --streams 4096 "$@"
