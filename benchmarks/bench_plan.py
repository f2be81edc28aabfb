"""Benchmark of the core: parse, govern, render SQL and synthesize Terraform for synthetic ERDs.

    .venv/bin/python benchmarks/bench_plan.py [--sizes 100,1000,5000] [--formats dbml,mermaid,sql] [--columns 20]

Each (format, size) runs in a fresh process so that peak memory (max RSS) is its own. Prints one
row per run: seconds per stage, columns per second for parse+govern+render SQL, and peak memory.
The stages run as `accelerator generate` runs them: inside one pause of the cyclic garbage collector
(accelerator/gcpause.py), whose one collection at the end is the `gc s` column (`--collector` runs
them with the collector on instead, to see what the pause saves). Terraform synthesis (cdktn import,
then synth of one environment) is reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")


def run_one(fmt: str, tables: int, columns: int, terraform: bool, paused: bool) -> dict[str, float]:
    from accelerator.erd import parse_erd
    from accelerator.gcpause import collection_paused
    from accelerator.model.build import build_project
    from accelerator.policy import default_policy, govern
    from accelerator.render import render_sql
    from benchmarks.synthetic import EXTENSIONS, GENERATORS

    text = GENERATORS[fmt](tables, columns)
    policy = default_policy()
    figures: dict[str, float] = {}

    # the entry point's pause (channels/cli/project.py pauses the whole command): no cyclic GC while
    # the model is built and rendered, then one collection of the young objects as the pause ends
    with collection_paused() if paused else nullcontext():
        start = time.perf_counter()
        parsed = parse_erd(text, EXTENSIONS[fmt])
        project = build_project("bench", [("bench", parsed)])
        figures["parse"] = time.perf_counter() - start
        start = time.perf_counter()
        governed = govern(project, policy)
        figures["govern"] = time.perf_counter() - start
        start = time.perf_counter()
        env = governed.project.environments[0].name
        render_sql(governed.project, env)
        figures["render_sql"] = time.perf_counter() - start
        start = time.perf_counter()
    figures["gc"] = time.perf_counter() - start
    figures["total"] = figures["parse"] + figures["govern"] + figures["render_sql"] + figures["gc"]
    figures["columns_per_s"] = tables * columns / figures["total"]

    if terraform:
        start = time.perf_counter()
        import cdktn  # noqa: F401
        import cdktn_provider_databricks  # noqa: F401

        figures["cdktn_import"] = time.perf_counter() - start
        from accelerator.render import render_terraform

        start = time.perf_counter()
        with collection_paused() if paused else nullcontext():
            render_terraform(governed.project, [env])
        figures["tf_synth"] = time.perf_counter() - start
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--formats", default="dbml,mermaid,sql")
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--no-terraform", action="store_true")
    parser.add_argument("--collector", action="store_true", help="leave the garbage collector on")
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "TABLES", "TERRAFORM"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        fmt, tables, terraform = args.child
        print(json.dumps(run_one(fmt, int(tables), args.columns, terraform == "1", not args.collector)))
        return

    header = (
        f"{'format':8} {'tables':>6} {'columns':>7} {'parse s':>8} {'govern s':>8} {'sql s':>7} {'gc s':>6} "
        f"{'total s':>8} {'cols/s':>9} {'tf import s':>11} {'tf synth s':>10} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for fmt in args.formats.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            terraform = "0" if args.no_terraform else "1"
            command = [
                sys.executable,
                __file__,
                "--columns",
                str(args.columns),
                *(["--collector"] if args.collector else []),
                "--child",
                fmt,
                str(size),
                terraform,
            ]
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                print(f"{fmt:8} {size:>6} failed: {result.stderr.strip().splitlines()[-1:]}")
                continue
            f = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"{fmt:8} {size:>6} {size * args.columns:>7} {f['parse']:>8.3f} {f['govern']:>8.3f} "
                f"{f['render_sql']:>7.3f} {f['gc']:>6.3f} {f['total']:>8.3f} {f['columns_per_s']:>9.0f} "
                f"{f.get('cdktn_import', float('nan')):>11.2f} {f.get('tf_synth', float('nan')):>10.2f} "
                f"{f['peak_mb']:>8.0f}"
            )


if __name__ == "__main__":
    main()
