"""Lazy imports of optional dependencies, with an error naming the extra."""

import importlib


class MissingOptionalDependency(ImportError):
    """Raised when a feature needs a package from an optional extra.

    `missing` is the module that could not be imported: the optional
    package itself, or one of its own dependencies when the package is
    installed but its import fails (KerasTuner 1.4.8 imports `six` without
    declaring it, for example).
    """

    def __init__(self, module, extra, missing=None):
        self.module = module
        self.extra = extra
        self.missing = missing or module
        if self.missing.split(".")[0] == module.split(".")[0]:
            message = (
                f"This feature needs the optional package `{module}`, which "
                f"is not installed. Install it with: "
                f'pip install "keras-recipes[{extra}]"'
            )
        else:
            message = (
                f"This feature needs the optional package `{module}`, which "
                f"is installed but fails to import: it needs `{self.missing}`"
                f", which is not installed. Install it with: "
                f'pip install "keras-recipes[{extra}]" (or pip install '
                f"{self.missing.split('.')[0]})"
            )
        super().__init__(message)


def import_optional(module, extra):
    """Import `module` or raise `MissingOptionalDependency` naming `extra`."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingOptionalDependency(
            module, extra, missing=getattr(e, "name", None)) from e
