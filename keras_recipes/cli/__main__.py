"""`python -m keras_recipes.cli ...`, as the `keras-recipes` command."""

import sys

from keras_recipes.cli.app import main

sys.exit(main())
