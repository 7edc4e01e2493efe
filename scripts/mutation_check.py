"""Check that the test suite notices deliberate bugs: one mutant per family.

Each mutant replaces one line of library code with a plausible wrong one
(focal `gamma` ignored, a CutMix box one row too tall, the EMA decay ignored,
the OneCycle peak one step late, the triplet margin dropped, ...). For each
mutant the script copies the tracked tree to a temporary folder, applies the
one edit there, and runs that family's test files in a subprocess with the
copy first on `sys.path`. A mutant is KILLED when the tests fail, and
SURVIVED when they pass: a surviving mutant means those tests cannot see that
bug. The unmodified copy is run first, so a kill is not an artefact of an
already failing test.

It is not part of CI (it runs each family's tests once per mutant). Run:

    python scripts/mutation_check.py --backend jax
    python scripts/mutation_check.py --backend torch --only focal,triplet

Exit status 0 when every mutant is killed; 1 otherwise (a survivor, a failing
baseline, or a mutant whose target line is no longer in the code, reported
as STALE so the list gets updated when the code moves).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, family, file, original text, mutant text, test paths)
MUTANTS = [
    ("focal", "losses", "keras_recipes/losses/focal.py",
     "return ops.power(ops.maximum(base, 1e-12), gamma)",
     "return ops.ones_like(base)",
     ["tests/losses/test_classification.py"]),
    ("triplet", "metric learning", "keras_recipes/losses/triplet.py",
     "return ops.relu(x + margin)",
     "return ops.relu(x)",
     ["tests/metric_learning/test_losses.py"]),
    ("cutmix_area", "augment", "keras_recipes/augment/_mixing.py",
     "(boxes[:, 1] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 2])",
     "(boxes[:, 1] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 2])",
     ["tests/augment/test_mixing.py"]),
    ("ema_decay", "callbacks", "keras_recipes/callbacks/model_ema.py",
     "self._update(self.current_decay)",
     "self._update(0.5)",
     ["tests/callbacks/test_swa_ema.py"]),
    ("one_cycle_peak", "schedules", "keras_recipes/schedules/one_cycle.py",
     "warm_end = float(pct_start * total_steps) - 1.0",
     "warm_end = float(pct_start * total_steps)",
     ["tests/schedules/test_schedules.py"]),
    ("balanced_weights", "data", "keras_recipes/data/class_weights.py",
     "weights = ids.size / (num_classes * counts)",
     "weights = ids.size / ((num_classes + 1) * counts)",
     ["tests/data/test_class_weights.py"]),
    ("ece_signed_gap", "metrics", "keras_recipes/metrics/calibration.py",
     'gaps = np.abs(bins["accuracy"] - bins["confidence"])',
     'gaps = bins["accuracy"] - bins["confidence"]',
     ["tests/evaluation"]),
    ("lookahead_alpha", "optimizers", "keras_recipes/optimizers/lookahead.py",
     "ops.cast(self.slow_step_size, phi.dtype)",
     "ops.cast(1.0, phi.dtype)",
     ["tests/optimizers/test_lookahead.py"]),
]


def copy_tree(destination):
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    for rel in listed:
        source = os.path.join(ROOT, rel)
        if not os.path.isfile(source):
            continue
        target = os.path.join(destination, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)


def run_tests(tree, tests, backend, timeout):
    env = dict(os.environ, KERAS_BACKEND=backend,
               PYTHONPATH=tree + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly",
               "-p", "no:cacheprovider", "-o", "addopts=", *tests]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, "timed out"
    tail = (done.stdout.strip().splitlines() or [""])[-1]
    return done.returncode, time.perf_counter() - start, tail


def imports_from(tree, backend):
    """Make sure the subprocess imports the copy, not the installed tree."""
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=tree)
    out = subprocess.run(
        [sys.executable, "-c",
         "import keras_recipes, os; print(os.path.realpath("
         "keras_recipes.__file__))"],
        cwd=tree, env=env, capture_output=True, text=True,
    ).stdout.strip()
    return out.startswith(os.path.realpath(tree))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND",
                                                            "jax"),
                        choices=["jax", "tensorflow", "torch"])
    parser.add_argument("--only", default=None,
                        help="comma-separated mutant names")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per test run")
    args = parser.parse_args(argv)
    mutants = MUTANTS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m[0] for m in MUTANTS}
        if unknown:
            parser.error(f"unknown mutants {sorted(unknown)}; choose from "
                         f"{[m[0] for m in MUTANTS]}")
        mutants = [m for m in MUTANTS if m[0] in wanted]

    rows = []
    with tempfile.TemporaryDirectory(prefix="kr-mutants-") as scratch:
        pristine = os.path.join(scratch, "pristine")
        copy_tree(pristine)
        if not imports_from(pristine, args.backend):
            print("error: the copied tree is not the one imported; is "
                  "keras_recipes installed non-editable?", file=sys.stderr)
            return 1
        for name, family, rel, original, mutant, tests in mutants:
            with open(os.path.join(pristine, rel)) as f:
                text = f.read()
            count = text.count(original)
            if count != 1:
                rows.append((name, family, rel, "STALE",
                             f"target line found {count} times", 0.0))
                print(f"{name:18s} STALE ({count} matches)", flush=True)
                continue
            code, seconds, tail = run_tests(pristine, tests, args.backend,
                                            args.timeout)
            if code != 0:
                rows.append((name, family, rel, "BASELINE FAILS", tail,
                             seconds))
                print(f"{name:18s} BASELINE FAILS: {tail}", flush=True)
                continue
            tree = os.path.join(scratch, name)
            shutil.copytree(pristine, tree)
            with open(os.path.join(tree, rel), "w") as f:
                f.write(text.replace(original, mutant))
            code, seconds, tail = run_tests(tree, tests, args.backend,
                                            args.timeout)
            shutil.rmtree(tree, ignore_errors=True)
            status = "SURVIVED" if code == 0 else "KILLED"
            rows.append((name, family, rel, status, tail, seconds))
            print(f"{name:18s} {status}: {tail}", flush=True)

    print()
    print(f"Mutation check, backend {args.backend}:")
    print()
    print("| mutant | family | file | result | tests' last line | s |")
    print("|---|---|---|---|---|---|")
    for name, family, rel, status, tail, seconds in rows:
        print(f"| {name} | {family} | `{rel}` | {status} | {tail} | "
              f"{seconds:.0f} |")
    return 0 if all(r[3] == "KILLED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
