"""The shared Lambda layer: runtime requirements plus the ``followswarm`` package.

Built by ``scripts/build_layer.sh`` into ``build/layer`` (``python/`` inside). Each stack that
deploys functions creates its own layer version from the same asset, so no stack exports a
layer ARN that changes with every build (an in-use export can't be updated).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aws_cdk import AssetHashType, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.function import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME

#: Written by build_layer.sh: the hash of what pip installed (requirements, python, platform).
STAMP_FILE = ".requirements.sha256"
SHARED_PACKAGE = "followswarm"


def layer_hash(asset_dir: Path) -> str:
    """Asset hash of the layer without fingerprinting its ~5,000 installed files: the pip stamp
    plus the contents of the followswarm package (the only part that changes between builds).
    Without a stamp (a test's empty layer) every file counts."""
    digest = hashlib.sha256()
    stamp = asset_dir / STAMP_FILE
    if stamp.is_file():
        digest.update(stamp.read_bytes())
        root = asset_dir / "python" / SHARED_PACKAGE
    else:
        root = asset_dir
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(asset_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class SharedLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, asset_dir: Path) -> None:
        super().__init__(scope, construct_id)
        if not (asset_dir / "python").is_dir():
            raise FileNotFoundError(
                f"{asset_dir}/python is missing: run `make layer` (scripts/build_layer.sh) first"
            )
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(
                str(asset_dir),
                exclude=[STAMP_FILE],
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_hash(asset_dir),
            ),
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE],
            description="Follow-Swarm shared code (followswarm) and runtime requirements",
            # Old versions stay until the functions using them are gone (safe rollback).
            removal_policy=RemovalPolicy.RETAIN,
        )
