"""`python -m siamese_core`: the command-line interface."""

import sys

from siamese_core.cli import main

sys.exit(main())
