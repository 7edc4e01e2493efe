"""`keras-recipes tune`: a KerasTuner search over a recipe, optionally
cross-validated and spread over local worker processes, tracked in the
MLflow store of `train`, resumable, ending with a table of the trials and
`best_recipe.json`."""

import datetime
import os
import subprocess
import sys
import threading
import time
import uuid

from keras_recipes.cli.common import check_backend
from keras_recipes.cli.common import format_table
from keras_recipes.cli.common import load_dataset
from keras_recipes.cli.common import load_recipe
from keras_recipes.cli.common import read_json
from keras_recipes.cli.common import reexec_with_backend
from keras_recipes.cli.common import write_json
from keras_recipes.cli.parser import MODELS
from keras_recipes.cli.parser import PROG
from keras_recipes.cli.parser import UsageError

# The arguments stored in search.json, and restored by `--resume`.
STORED_ARGS = ("dataset", "model", "recipe", "tuner", "max_trials", "cv",
               "epochs", "batch_size", "width", "depth", "subset",
               "validation_split", "objective", "tracker", "seed",
               "workers")
TUNE_TRACKERS = ("mlflow", "none")


def _new_search_dir(output):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join(output, f"search-{stamp}-{uuid.uuid4().hex[:6]}")


def _restore(args):
    """`(search_dir, state)`; `--resume` restores the stored arguments."""
    if not args.resume:
        return _new_search_dir(args.output), {}
    path = os.path.join(args.resume, "search.json")
    if not os.path.isfile(path):
        raise UsageError(f"no search in {args.resume} (no {path})")
    state = read_json(path)
    for key in STORED_ARGS:
        setattr(args, key, state["args"][key])
    args.backend = args.backend or state.get("backend")
    return args.resume, state


def _check_args(args):
    if args.model not in MODELS:
        raise UsageError(f"unknown model {args.model!r}; expected one of "
                         f"{', '.join(MODELS)}")
    if args.tracker not in TUNE_TRACKERS:
        raise UsageError(f"unknown tracker {args.tracker!r} for tune; "
                         f"expected one of {', '.join(TUNE_TRACKERS)}")
    if args.cv is not None and args.cv < 2:
        raise UsageError(f"--cv must be at least 2, got {args.cv}")
    if (args.depth - 2) % 6 or args.depth < 8:
        raise UsageError(f"--depth must be 6n+2 (8, 14, 20, ...), got "
                         f"{args.depth}")


def _data(args):
    """The shuffled (and `--subset`) training images, and the test set."""
    import numpy as np

    (x, y), (x_test, y_test), class_names = load_dataset(args.dataset)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    return x, y, x_test, y_test, class_names


def _trial_rows(tuner, objective):
    """One row per trial, best first: id, score (± std), values, status."""
    from keras_recipes.tuning.hypermodel import format_values

    trials = list(tuner.oracle.trials.values())
    direction = tuner.oracle.objective.direction
    done = [t for t in trials if t.score is not None]
    done.sort(key=lambda t: t.score, reverse=direction == "max")
    rows = []
    for t in done + [t for t in trials if t.score is None]:
        score = "-"
        if t.score is not None:
            score = f"{t.score:.4f}"
            if t.metrics.exists(f"{objective}_std"):
                std = t.metrics.get_last_value(f"{objective}_std")
                score += f" ± {std:.4f}"
        rows.append([t.trial_id, score,
                     format_values(t.hyperparameters.values), t.status])
    return rows


def _relay(proc, log_path):
    """Copy a worker's output to its log; show its progress lines."""
    with open(log_path, "w") as log:
        for line in proc.stdout:
            log.write(line)
            log.flush()
            if line.startswith("trial "):
                print(line, end="", flush=True)


def _launch_workers(args, search_dir, argv_resume):
    """Run a chief and `args.workers` workers on loopback; wait for them."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    base = dict(os.environ, KERASTUNER_ORACLE_IP="127.0.0.1",
                KERASTUNER_ORACLE_PORT=port)
    command = [sys.executable, "-m", "keras_recipes.cli", *argv_resume]
    log_dir = os.path.join(search_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    print(f"{PROG}: search {search_dir}: chief and {args.workers} workers "
          f"on 127.0.0.1:{port} (logs in {log_dir})", flush=True)
    procs, relays = [], []
    for tuner_id in ["chief"] + [f"tuner{i}" for i in range(args.workers)]:
        env = dict(base, KERASTUNER_TUNER_ID=tuner_id)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        relay = threading.Thread(
            target=_relay, args=(proc, os.path.join(log_dir,
                                                    f"{tuner_id}.log")),
            daemon=True)
        relay.start()
        procs.append((tuner_id, proc))
        relays.append(relay)
        if tuner_id == "chief":
            time.sleep(1.0)  # let the oracle server bind first
    failed = [tuner_id for tuner_id, proc in procs[1:] if proc.wait()]
    chief = procs[0][1]
    if failed:
        chief.terminate()  # it would wait for the failed workers' trials
    if chief.wait() and not failed:
        failed.append("chief")
    for relay in relays:
        relay.join()
    if failed:
        raise RuntimeError(
            f"{', '.join(failed)} failed; see {log_dir}; continue with: "
            f"{PROG} tune --resume {search_dir}"
        )


def run(args, argv):
    search_dir, state = _restore(args)
    check_backend(args.backend)
    reexec_with_backend(args.backend, argv)
    _check_args(args)
    base_recipe = load_recipe(args.recipe)
    role = os.environ.get("KERASTUNER_TUNER_ID")

    import keras

    import keras_recipes
    from keras_recipes import tuning
    from keras_recipes.tracking import MLflowTracker

    overrides = {"seed": args.seed}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    base_recipe = keras_recipes.recipes.Recipe.from_config(
        {**base_recipe.get_config(), **overrides})
    args.epochs, args.batch_size = base_recipe.epochs, base_recipe.batch_size
    os.makedirs(search_dir, exist_ok=True)
    state_path = os.path.join(search_dir, "search.json")
    store = os.path.join(args.output if not args.resume
                         else os.path.dirname(search_dir.rstrip("/")) or ".",
                         "mlruns.db")
    state.setdefault("args", {k: getattr(args, k) for k in STORED_ARGS})
    state.setdefault("backend", keras.backend.backend())
    state.setdefault("started", time.time())
    state.setdefault("store", store)
    tracker = None
    if args.tracker == "mlflow":
        tracker = MLflowTracker(
            tracking_uri=f"sqlite:///{state['store']}",
            experiment_name="keras-recipes",
            run_name=os.path.basename(search_dir),
            run_id=state.get("tracker_run_id"),
            tags={"keras_recipes.search": os.path.basename(search_dir),
                  "dataset": args.dataset, "tuner": args.tuner},
        )

    if args.workers and role is None:
        # This process only launches the search, then reports on it.
        if tracker is not None:
            tracker.start()
            state["tracker_run_id"] = tracker.run_id
        state["status"] = "RUNNING"
        write_json(state_path, state)
        try:
            _launch_workers(args, search_dir, [
                "tune", "--resume", search_dir,
                *(["--quiet"] if args.quiet else [])])
        except BaseException:
            if tracker is not None:
                tracker.end("FAILED")
            raise
    x, y, x_test, y_test, class_names = _data(args)
    num_classes = len(class_names)

    def build_model(hp):
        return keras_recipes.models.small_resnet(
            x.shape[1:], num_classes, width=args.width, depth=args.depth)

    space = tuning.default_space(base_recipe.name) \
        if base_recipe.name in ("baseline", "standard", "strong") else None
    if space is None:
        space = {"learning_rate": tuning.LogUniform(
            base_recipe.learning_rate / 3, base_recipe.learning_rate * 3)}
    hypermodel = tuning.RecipeHyperModel(
        build_model, recipe=base_recipe, space=space, cv=args.cv,
        fit_kwargs={"epochs": args.epochs,
                    "validation_split": args.validation_split},
        tracker=tracker, seed=args.seed,
    )
    tuner = tuning.make_tuner(
        args.tuner, hypermodel, objective=args.objective,
        max_trials=args.max_trials, directory=search_dir,
        project_name="trials", seed=args.seed, progress=not args.quiet,
    )
    if role is None and not args.workers:
        if tracker is not None:
            tracker.start()
            state["tracker_run_id"] = tracker.run_id
        state["status"] = "RUNNING"
        write_json(state_path, state)
        print(f"{PROG}: search {search_dir}: {args.tuner} over "
              f"{', '.join(space)} ({args.max_trials} trials max, "
              + (f"{args.cv}-fold CV, " if args.cv else "")
              + f"{args.epochs} epochs, {len(x)} images), backend "
              f"{keras.backend.backend()}" + (" (resumed)" if args.resume
                                              else ""), flush=True)
    if role is not None or not args.workers:
        try:
            tuner.search(x, y, verbose=0)
        except BaseException:
            if tracker is not None and role is None:
                tracker.end("KILLED")
            raise
        if role is not None:
            return 0  # the chief and the workers stop here
    tuner.get_best_recipe(os.path.join(search_dir,
                                              "best_recipe.json"))
    rows = _trial_rows(tuner, args.objective)
    if tracker is not None:
        best_trial = tuner.oracle.get_best_trials(1)[0]
        tracker.log_metrics({f"best/{args.objective}": best_trial.score})
        tracker.log_artifact(os.path.join(search_dir, "best_recipe.json"))
        tracker.end("FINISHED")
    state.update(status="FINISHED", finished=time.time(),
                 trials=len(rows), best=rows[0][1] if rows else None)
    write_json(state_path, state)
    print()
    print(format_table(["trial", args.objective + (" (mean ± std)"
                                                   if args.cv else ""),
                        "hyperparameters", "status"], rows))
    print(f"best recipe: {os.path.join(search_dir, 'best_recipe.json')} "
          f"(train it with: {PROG} train --recipe "
          f"{os.path.join(search_dir, 'best_recipe.json')})")
    if tracker is not None:
        print(f"tracking store: sqlite:///{state['store']}")
    return 0
