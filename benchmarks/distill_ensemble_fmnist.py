"""Issue 14's benchmarks in one command: distillation, ensembles and
multi-task weighting on Fashion-MNIST, each its own script, run one after the
other in their own processes with the arguments given after their name.

    KERAS_BACKEND=jax python benchmarks/distill_ensemble_fmnist.py
    KERAS_BACKEND=jax python benchmarks/distill_ensemble_fmnist.py \
        --only ensembles -- --seeds 0

`benchmarks/distill_fmnist.py`, `ensembles_fmnist.py` and
`multitask_fmnist.py` say what each measures; `docs/benchmarks.md` has the
figures and the commands that produced them.
"""

import argparse
import os
import subprocess
import sys
import time

PARTS = {
    "distillation": "distill_fmnist.py",
    "ensembles": "ensembles_fmnist.py",
    "multitask": "multitask_fmnist.py",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts among "
                             f"{', '.join(PARTS)}")
    parser.add_argument("rest", nargs=argparse.REMAINDER,
                        help="arguments after `--` go to every part")
    args = parser.parse_args()
    parts = [p for p in args.only.split(",") if p]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown parts {unknown}; expected among {list(PARTS)}")
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    here = os.path.dirname(os.path.abspath(__file__))
    status = 0
    for part in parts:
        start = time.perf_counter()
        print(f"=== {part}", flush=True)
        code = subprocess.call(
            [sys.executable, os.path.join(here, PARTS[part]), *rest])
        print(f"=== {part}: {time.perf_counter() - start:.0f} s, "
              f"exit {code}", flush=True)
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main())
