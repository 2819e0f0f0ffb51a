"""asyncify's library mappings: one module per library, discovered by name.

Each module defines one :class:`asyncify.codemod.Codemod` subclass. Installed as
``asyncify.codemods`` (see pyproject.toml).
"""
