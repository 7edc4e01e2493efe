"""Test helpers shared by keras_recipes and by projects built on it."""

from keras_recipes.testing.test_case import TestCase as TestCase

__all__ = ["TestCase"]
