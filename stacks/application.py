"""Builds the CDK app: one ``cdk.Stage`` per stage in the ``stages`` context of ``cdk.json``.

Used by ``app.py`` (``cdk synth`` / ``cdk deploy``) and by the infrastructure tests, which
synthesize the same app once per session into a temporary folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from followswarm.catalog import FUNCTIONS
from stacks.access import check_complete
from stacks.api_stack import ApiStack
from stacks.config import StageConfig, stages_from_context
from stacks.data_stack import DataStack
from stacks.follow_stack import FollowStack
from stacks.monitoring_stack import MonitoringStack
from stacks.nag import add_nag_checks
from stacks.runtime import LAYER_BUILD_DIR
from stacks.schedule_stack import ScheduleStack

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class AssetPaths:
    """Where the layer and each function's code come from (tests may point elsewhere)."""

    layer_dir: Path = REPO_ROOT / LAYER_BUILD_DIR
    code_dirs: dict[str, Path] = field(
        default_factory=lambda: {f.name: REPO_ROOT / f.code_path for f in FUNCTIONS}
    )


class SwarmStage(cdk.Stage):
    """Every stack of one stage."""

    def __init__(
        self, scope: Construct, config: StageConfig, paths: AssetPaths, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            config.name,
            env=cdk.Environment(account=config.account, region=config.region),
            **kwargs,
        )
        self.config = config
        p = config.prefix

        def common(concern: str) -> dict[str, Any]:
            return {
                "stack_name": f"{p}-{concern}",
                "description": f"Follow-Swarm {config.name}: {concern}",
                "termination_protection": config.retain_data,
            }

        self.data = DataStack(self, "Data", stage=config, **common("data"))
        self.follow = FollowStack(
            self,
            "Follow",
            stage=config,
            data=self.data,
            layer_dir=paths.layer_dir,
            code_dirs=paths.code_dirs,
            **common("follow"),
        )
        self.api = ApiStack(
            self,
            "Api",
            stage=config,
            data=self.data,
            follow=self.follow,
            layer_dir=paths.layer_dir,
            code_dirs=paths.code_dirs,
            **common("api"),
        )
        self.functions = {**self.follow.functions, **self.api.functions}
        deployed, catalog = set(self.functions), {f.name for f in FUNCTIONS}
        if deployed != catalog:
            raise ValueError(f"catalog functions not deployed: {sorted(catalog - deployed)}")
        self.schedule = ScheduleStack(
            self,
            "Schedule",
            stage=config,
            functions={n: f.alias for n, f in self.functions.items()},  # via the alias
            **common("schedule"),
        )
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            stage=config,
            http_api=self.api.http_api,
            functions=self.functions,
            queue=self.follow.queue,
            dlq=self.follow.dlq,
            **common("monitoring"),
        )
        for stack in self.stacks:
            cdk.Tags.of(stack).add("app", config.settings.app_name)
            cdk.Tags.of(stack).add("stage", config.name)

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.data, self.follow, self.api, self.schedule, self.monitoring]


def cdk_json_context(root: Path = REPO_ROOT) -> dict[str, Any]:
    context: dict[str, Any] = json.loads((root / "cdk.json").read_text())["context"]
    return context


def create_app(
    *,
    outdir: str | None = None,
    context: dict[str, Any] | None = None,
    paths: AssetPaths | None = None,
) -> tuple[cdk.App, dict[str, SwarmStage]]:
    """The app with every stage; ``context`` defaults to cdk.json's (the CLI's wins)."""
    check_complete()
    app = cdk.App(outdir=outdir, context=context if context is not None else cdk_json_context())
    paths = paths or AssetPaths()
    stages = {
        config.name: SwarmStage(app, config, paths)
        for config in stages_from_context(_context_of(app))
    }
    add_nag_checks(app, stages.values())
    return app, stages


def _context_of(app: cdk.App) -> dict[str, Any]:
    from stacks.config import STAGES_CONTEXT_KEY

    raw = app.node.try_get_context(STAGES_CONTEXT_KEY)
    if isinstance(raw, str):  # `cdk -c stages='{...}'` passes JSON as a string
        raw = json.loads(raw)
    return {STAGES_CONTEXT_KEY: raw}
