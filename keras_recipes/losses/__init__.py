"""Losses: classification (focal, label smoothing, poly, class-weighted) and
metric learning."""

__all__ = []
