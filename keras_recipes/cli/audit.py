"""`keras-recipes audit`: duplicates, leakage, bad values and label errors
of a dataset, as `audit.html` and `audit.json`."""

import contextlib
import os
import sys
import time

from keras_recipes.cli.common import load_dataset
from keras_recipes.cli.common import one_line
from keras_recipes.cli.common import write_json
from keras_recipes.cli.parser import UsageError


def _load_probabilities(path, num_samples, subset):
    import numpy as np

    if not os.path.isfile(path):
        raise UsageError(f"probabilities file not found: {path}")
    try:
        if path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as data:
                key = ("probabilities" if "probabilities" in data.files
                       else data.files[0])
                probs = data[key]
        else:
            probs = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise UsageError(
            f"cannot read probabilities file {path}: {one_line(e)}"
        ) from None
    if subset is not None and probs.ndim == 2 and len(probs) > num_samples:
        probs = probs[:num_samples]
    return probs


def run(args, argv):
    if not 0.0 < args.near_threshold <= 1.0:
        raise UsageError(
            f"--near-threshold must be in (0, 1], got {args.near_threshold}"
        )
    (x, y), (x_test, y_test), class_names = load_dataset(args.dataset)
    if args.subset is not None:
        x, y = x[:args.subset], y[:args.subset]
    probs = None
    if args.probabilities is not None:
        probs = _load_probabilities(args.probabilities, len(x), args.subset)

    from keras_recipes.data.audit import audit

    start = time.time()
    # Progress lines go to stderr; stdout keeps the summary.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            report = audit(
                x, y, x_test, y_test, probabilities=probs,
                near_threshold=args.near_threshold,
                chunk_size=args.chunk_size, verbose=not args.quiet,
            )
        except (ValueError, TypeError) as e:
            raise UsageError(one_line(e)) from None
    seconds = time.time() - start
    os.makedirs(args.output, exist_ok=True)
    html_path = os.path.join(args.output, "audit.html")
    json_path = os.path.join(args.output, "audit.json")
    report.to_html(html_path, x=x, x_test=x_test, class_names=class_names,
                   data_format="channels_last")
    data = report.to_dict()
    data["dataset"] = args.dataset
    data["class_names"] = class_names
    write_json(json_path, data)
    print(report.summary())
    print(f"audit: {html_path}, {json_path} ({seconds:.1f} s)")
    return 0
