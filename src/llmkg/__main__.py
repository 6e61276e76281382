"""``python -m llmkg``: the ``llmkg`` command (:func:`llmkg.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
