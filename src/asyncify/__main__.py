"""``python -m asyncify``: the same as the ``asyncify`` command."""

from __future__ import annotations

import os
import sys

# `python -m` puts the working folder first on sys.path: usually the project being
# converted. Its files must never be imported in asyncify's place (a `json.py` there).
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from asyncify.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
