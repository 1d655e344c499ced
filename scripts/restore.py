#!/usr/bin/env python3
"""Restore drill and disaster recovery: restore a stage's tables into NEW tables, verified.

    scripts/restore.py list                                   # export days in the backup bucket
    scripts/restore.py export --day 2026-05-29 --target-prefix followswarm-prod-r0529
    scripts/restore.py export --day 2026-05-29 --target-prefix ... --method copy --tables members
    scripts/restore.py pitr --time 2026-05-29T10:15:00Z --target-prefix followswarm-prod-r1015
    scripts/restore.py pitr --time latest --target-prefix ...
    scripts/restore.py copy-back --day 2026-05-29 --tables members --yes   # into LIVE tables

The stage, region and endpoint come from the environment as for the functions (``SWARM_STAGE``,
``AWS_REGION``, ``AWS_ENDPOINT_URL`` locally) or ``--stage``. Prints a JSON report; exits 1
when any table's restored item count differs from what it should be (``make restore``).
See docs/runbooks/backup-restore.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT / "layers/shared/python"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from followswarm.domain.operations import backups  # noqa: E402
from followswarm.settings import Settings, get_settings  # noqa: E402


def _time(value: str) -> float | None:
    if value == "latest":
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", help="default: SWARM_STAGE from the environment")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="days with exports in the backup bucket")
    export = commands.add_parser("export", help="restore a day's exports into new tables")
    export.add_argument("--day", required=True, help="YYYY-MM-DD (see `list`)")
    export.add_argument("--target-prefix", required=True)
    export.add_argument("--method", choices=["import", "copy"], default="import")
    export.add_argument("--tables", nargs="*", help="logical names (default: all)")
    export.add_argument("--kms-key", help="KMS key for the new tables (default: AWS owned)")
    pitr = commands.add_parser("pitr", help="restore a point in time into new tables")
    pitr.add_argument("--time", required=True, help="ISO 8601 (UTC) or 'latest'")
    pitr.add_argument("--target-prefix", required=True)
    pitr.add_argument("--tables", nargs="*")
    pitr.add_argument(
        "--no-compare",
        action="store_true",
        help="don't require counts equal to the live tables (writes since --time)",
    )
    back = commands.add_parser("copy-back", help="put a day's exported items into LIVE tables")
    back.add_argument("--day", required=True)
    back.add_argument("--tables", nargs="+", required=True)
    back.add_argument("--yes", action="store_true", help="confirm writing into live tables")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    settings = Settings(stage=args.stage) if args.stage else get_settings()
    if args.command == "list":
        print(json.dumps({"days": backups.available_export_days(settings)}, indent=2))
        return 0
    if args.command == "copy-back":
        if not args.yes:
            print("copy-back writes into the live tables: add --yes", file=sys.stderr)
            return 2
        written = backups.copy_back(settings, day=args.day, tables=args.tables)
        print(json.dumps({"written": written}, indent=2))
        return 0
    if args.command == "export":
        report = backups.restore_from_export(
            settings,
            day=args.day,
            target_prefix=args.target_prefix,
            method=args.method,
            tables=args.tables,
            kms_key_id=args.kms_key,
        )
    else:
        report = backups.restore_point_in_time(
            settings,
            target_prefix=args.target_prefix,
            restore_time=_time(args.time),
            tables=args.tables,
            compare_with_source=not args.no_compare,
        )
    print(json.dumps(report.as_json(), indent=2))
    for table in report.tables:
        verdict = "ok" if table.ok else "MISMATCH"
        print(
            f"{table.table:<12} -> {table.target:<48} expected {table.expected} "
            f"restored {table.restored}  {verdict} {table.note}",
            file=sys.stderr,
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
