#!/usr/bin/env bash
# Builds the shared Lambda layer into build/layer/python: the runtime requirements as Linux
# wheels for the Lambda runtime (version and platform from stacks/runtime.py, the one place they
# are defined) plus the followswarm package. pip runs only when requirements.txt or the target
# changed (hash file); the followswarm package is re-copied on every run.
# boto3 is pinned to the version in requirements-dev.txt (the one tests run against): pynamodb
# pulls in botocore, and a layer botocore next to the runtime's own, older boto3 could mismatch.
# Usage: scripts/build_layer.sh [python]   (the python that runs pip; default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
py="${1:-python3}"

read -r pyver platform layer_dir < <("$py" - <<'PY'
import runpy
c = runpy.run_path("stacks/runtime.py")
print(c["LAMBDA_PYTHON_VERSION"], c["LAYER_PIP_PLATFORM"], c["LAYER_BUILD_DIR"])
PY
)
target="$layer_dir/python"
stamp="$layer_dir/.requirements.sha256"
boto3_pin="$(grep -E '^boto3==' requirements-dev.txt || echo boto3)"
want="$( { cat requirements.txt; echo "$boto3_pin cp$pyver $platform"; } | sha256sum | cut -d' ' -f1)"

if [[ -d "$target" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "layer: requirements unchanged (python $pyver, $platform), skipping pip"
else
  echo "layer: installing requirements for python $pyver on $platform"
  rm -rf "$layer_dir"
  mkdir -p "$target"
  "$py" -m pip install --quiet --disable-pip-version-check --no-compile \
    -r requirements.txt "$boto3_pin" \
    --platform "$platform" --only-binary=:all: --python-version "$pyver" --implementation cp \
    --target "$target"
  echo "$want" > "$stamp"
fi

rm -rf "$target/followswarm"
cp -r layers/shared/python/followswarm "$target/followswarm"
rm -rf "$target/bin"
find "$target" -name __pycache__ -type d -prune -exec rm -rf {} +
echo "layer: $(du -sh "$layer_dir" | cut -f1) in $layer_dir"
