"""A Python file found by discovery, and its dotted module name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class SourceFile:
    path: Path  # as given or found (absolute or relative to the working folder)
    module: str  # dotted module name: "pkg.sub.mod", "pkg" for pkg/__init__.py
    is_package: bool = False  # an __init__.py
    # Other dotted names Python can import the file as: through folders without
    # __init__.py (PEP 420 namespace packages) up to the project root, shortest first
    # ("services.weather_service" for services/weather_service.py named "weather_service").
    aliases: tuple[str, ...] = ()
    # Top-level import names -> module names, for a file whose folder's modules are named
    # from the project root (engine.programs): `import helpers` beside a script.
    local_names: tuple[tuple[str, str], ...] = ()

    @property
    def is_main(self) -> bool:
        return self.path.name == "__main__.py"

    @property
    def display(self) -> str:
        """The path as reports show it: relative to the working folder when inside it."""
        try:
            return self.path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return self.path.as_posix()
