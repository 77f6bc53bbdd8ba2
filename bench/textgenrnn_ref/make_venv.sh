#!/usr/bin/env bash
# Builds the reference venv in which the textgenrnn 2.0.0 library itself runs (TF 2.x + tf_keras,
# i.e. Keras 2). It is a venv of its own, .venv-textgenrnn (textgenrnn needs a Keras 2 it cannot share
# with our Keras 3 venv). Only bench/ and the fixture generator use it; the product never does.
#   usage: bench/textgenrnn_ref/make_venv.sh [VENV_DIR]   (default: $TEXTGENRNN_REF_VENV or
#          <repo>/.venv-textgenrnn)
set -euo pipefail
venv="${1:-${TEXTGENRNN_REF_VENV:-$(cd "$(dirname "$0")/../.." && pwd)/.venv-textgenrnn}}"
python="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
# setuptools<81 still ships pkg_resources, which textgenrnn imports.
"$venv/bin/pip" install --quiet \
  "tensorflow-cpu==2.21.0" "tf_keras==2.21.0" "numpy<2.5" h5py scikit-learn tqdm "setuptools<81"
# --no-deps: textgenrnn's own requirements pin nothing useful and would pull standalone keras.
"$venv/bin/pip" install --quiet --no-deps "textgenrnn==2.0.0"
echo "reference venv ready: $venv"
