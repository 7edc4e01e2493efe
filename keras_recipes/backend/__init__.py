"""Backend dispatch: the only place allowed to import tensorflow, jax or torch
(lazily, inside functions)."""
