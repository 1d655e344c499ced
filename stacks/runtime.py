"""The Lambda runtime and the platform the shared layer is built for, defined once.

Plain constants (no CDK import): ``scripts/build_layer.sh`` reads them with ``runpy`` to pick
pip's ``--python-version`` and ``--platform``; :mod:`stacks.constructs.function` maps them to the
CDK ``Runtime`` and ``Architecture``, so the layer's binary wheels always match the functions.
"""

from __future__ import annotations

from typing import Final

#: CPython version of the Lambda runtime (``python3.12``) and of the layer's wheels (cp312).
LAMBDA_PYTHON_VERSION: Final = "3.12"
#: pip platform tag of the layer's wheels; x86_64 to match :data:`LAMBDA_ARCHITECTURE`.
LAYER_PIP_PLATFORM: Final = "manylinux2014_x86_64"
#: Lambda architecture (``x86_64`` | ``arm64``); must agree with :data:`LAYER_PIP_PLATFORM`.
LAMBDA_ARCHITECTURE: Final = "x86_64"
#: Folder ``build_layer.sh`` fills (``python/`` inside is what Lambda puts on ``sys.path``).
LAYER_BUILD_DIR: Final = "build/layer"

if not LAYER_PIP_PLATFORM.endswith(LAMBDA_ARCHITECTURE):
    raise ValueError(f"layer platform {LAYER_PIP_PLATFORM} does not match {LAMBDA_ARCHITECTURE}")
