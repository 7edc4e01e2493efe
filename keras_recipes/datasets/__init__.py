"""Real datasets that load offline."""

__all__ = []
