"""Data tools: class weights, batching with augmentation, samplers."""

__all__ = []
