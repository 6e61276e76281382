"""``python -m llmkg``: the ``llmkg`` command (:func:`llmkg.fastcli.main`)."""

import sys

from .fastcli import main

sys.exit(main())
