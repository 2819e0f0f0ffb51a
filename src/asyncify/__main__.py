"""``python -m asyncify``: the same as the ``asyncify`` command."""

from __future__ import annotations

from asyncify.cli import main

if __name__ == "__main__":
    main()
