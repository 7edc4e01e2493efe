"""`keras-recipes evaluate`: the evaluation report of a saved model."""

import os
import time

from keras_recipes.cli.common import check_backend
from keras_recipes.cli.common import format_table
from keras_recipes.cli.common import load_dataset
from keras_recipes.cli.common import one_line
from keras_recipes.cli.common import reexec_with_backend
from keras_recipes.cli.common import write_json
from keras_recipes.cli.parser import PROG
from keras_recipes.cli.parser import UsageError


def run(args, argv):
    check_backend(args.backend)
    if not args.model_path.endswith(".keras"):
        raise UsageError(
            f"expected a .keras model file, got {args.model_path!r}"
        )
    if not os.path.isfile(args.model_path):
        raise UsageError(f"model file not found: {args.model_path}")
    reexec_with_backend(args.backend, argv)
    (_, _), (x_test, y_test), class_names = load_dataset(args.dataset)

    import keras

    import keras_recipes  # noqa: F401 - registers the custom objects
    from keras_recipes.evaluation import evaluate

    try:
        model = keras.saving.load_model(args.model_path, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - any unreadable model
        raise UsageError(
            f"cannot load model {args.model_path}: {one_line(e)}"
        ) from None
    if tuple(model.input_shape[1:]) != tuple(x_test.shape[1:]):
        raise UsageError(
            f"model input shape {tuple(model.input_shape[1:])} does not "
            f"match the dataset's images {tuple(x_test.shape[1:])}"
        )
    if int(model.output_shape[-1]) != len(class_names):
        raise UsageError(
            f"model has {model.output_shape[-1]} outputs but the dataset "
            f"has {len(class_names)} classes"
        )
    dataset_tag = os.path.splitext(os.path.basename(args.dataset))[0]
    output = args.output or os.path.join(
        os.path.dirname(os.path.abspath(args.model_path)),
        f"evaluation-{dataset_tag}",
    )
    start = time.time()
    report = evaluate(
        model, x_test, y_test, class_names=class_names,
        batch_size=args.batch_size,
        title=f"{PROG} evaluate {os.path.basename(args.model_path)} on "
        f"{args.dataset}",
    )
    seconds = time.time() - start
    os.makedirs(output, exist_ok=True)
    report.to_html(os.path.join(output, "report.html"))
    plots = report.save_plots(output)
    write_json(os.path.join(output, "metrics.json"),
               {"evaluation": report.to_dict()})
    print(format_table(
        ["model", "test accuracy", "macro F1", "ECE", "time", "images/s"],
        [[os.path.basename(args.model_path), f"{report.accuracy:.4f}",
          f"{report.macro_f1:.4f}", f"{report.ece:.4f}", f"{seconds:.1f} s",
          f"{len(x_test) / max(seconds, 1e-9):.0f}"]],
    ))
    print(f"report: {os.path.join(output, 'report.html')} "
          f"({len(plots)} PNG plots)")
    return 0
