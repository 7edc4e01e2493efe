"""Lazy imports of optional dependencies, with an error naming the extra."""

import importlib


class MissingOptionalDependency(ImportError):
    """Raised when a feature needs a package from an optional extra."""

    def __init__(self, module, extra):
        self.module = module
        self.extra = extra
        super().__init__(
            f"This feature needs the optional package `{module}`, which is "
            f"not installed. Install it with: "
            f'pip install "keras-recipes[{extra}]"'
        )


def import_optional(module, extra):
    """Import `module` or raise `MissingOptionalDependency` naming `extra`."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingOptionalDependency(module, extra) from e
