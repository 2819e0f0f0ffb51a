"""Discovery: which files a run takes, and the module name each gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncify.discover import discover
from asyncify.sourcefile import SourceFile


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def found(paths: list[Path], exclude: tuple[str, ...] = (), base: Path | None = None) -> list[str]:
    files, problems = discover(paths, exclude, base=base)
    assert problems == []
    return [file.path.as_posix() for file in files]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_folders_expand_to_sorted_python_files(in_tmp: Path) -> None:
    tree(in_tmp, {"b.py": "", "a.py": "", "notes.txt": "", "sub/c.py": "", "sub/data.json": ""})
    assert found([Path(".")]) == ["a.py", "b.py", "sub/c.py"]
    assert found([Path("sub"), Path("a.py")]) == ["a.py", "sub/c.py"]


def test_paths_keep_the_form_they_were_given_in(in_tmp: Path) -> None:
    tree(in_tmp, {"proj/m.py": ""})
    assert found([Path("proj")]) == ["proj/m.py"]
    assert found([in_tmp / "proj"]) == [(in_tmp / "proj/m.py").as_posix()]


def test_tool_and_environment_folders_are_skipped(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "app.py": "",
            ".git/hooks/x.py": "",
            ".venv/lib/x.py": "",
            "venv/lib/x.py": "",
            "env311/pyvenv.cfg": "",  # a virtual environment under another name
            "env311/lib/x.py": "",
            "__pycache__/x.py": "",
            ".tox/py/x.py": "",
            "build/lib/x.py": "",
            "dist/x.py": "",
            "node_modules/x.py": "",
            "lib/site-packages/x.py": "",
            "pkg.egg-info/x.py": "",
        },
    )
    assert found([Path(".")]) == ["app.py"]


def test_gitignore_is_honoured(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            ".git/HEAD": "",
            ".gitignore": "generated/\n*_pb2.py\n/local.py\n",
            "app.py": "",
            "local.py": "",
            "generated/models.py": "",
            "api_pb2.py": "",
            "pkg/local.py": "",  # "/local.py" is anchored at the root
            "pkg/x_pb2.py": "",
            "pkg/.gitignore": "!keep_pb2.py\nprivate.py\n",  # nested, with a negation
            "pkg/keep_pb2.py": "",
            "pkg/private.py": "",
            "other/private.py": "",  # pkg's rules do not apply outside pkg
        },
    )
    assert found([Path(".")]) == ["app.py", "other/private.py", "pkg/keep_pb2.py", "pkg/local.py"]


def test_root_gitignore_applies_to_a_subfolder(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            ".git/HEAD": "",
            ".gitignore": "generated/\n",
            "src/pkg/__init__.py": "",
            "src/pkg/generated/models.py": "",
        },
    )
    assert found([Path("src/pkg")]) == ["src/pkg/__init__.py"]


def test_a_file_named_explicitly_is_taken_even_if_ignored(in_tmp: Path) -> None:
    tree(in_tmp, {".git/HEAD": "", ".gitignore": "gen.py\n", "gen.py": "", "script": ""})
    assert found([Path("gen.py"), Path("script")]) == ["gen.py", "script"]


def test_excludes_are_gitignore_patterns_relative_to_base(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "app.py": "",
            "app_test.py": "",
            "migrations/0001.py": "",
            "pkg/migrations/0002.py": "",
            "scripts/run.py": "",
            "pkg/scripts/keep.py": "",
        },
    )
    patterns = ("migrations/", "*_test.py", "/scripts/")
    assert found([Path(".")], patterns) == ["app.py", "pkg/scripts/keep.py"]
    assert found([Path("pkg")], patterns, base=in_tmp) == ["pkg/scripts/keep.py"]
    # Relative to another base, "/scripts/" means pkg/scripts.
    assert found([Path("pkg")], ("/scripts/",), base=in_tmp / "pkg") == ["pkg/migrations/0002.py"]


def test_symlinks_out_of_the_roots_are_not_followed(in_tmp: Path) -> None:
    outside = tree(in_tmp / "outside", {"secret.py": "", "lib/deep.py": ""})
    proj = tree(in_tmp / "proj", {"app.py": ""})
    (proj / "secret.py").symlink_to(outside / "secret.py")
    (proj / "lib").symlink_to(outside / "lib", target_is_directory=True)
    (proj / "dangling.py").symlink_to(in_tmp / "nowhere.py")
    assert found([Path("proj")]) == ["proj/app.py"]
    # The same links are followed when their targets are among the roots.
    assert found([Path("proj"), Path("outside")]) == [
        "outside/lib/deep.py",
        "outside/secret.py",
        "proj/app.py",
    ]


def test_symlinks_inside_the_root_give_each_file_once(in_tmp: Path) -> None:
    proj = tree(in_tmp / "proj", {"pkg/mod.py": ""})
    (proj / "alias.py").symlink_to(proj / "pkg/mod.py")
    (proj / "again").symlink_to(proj / "pkg", target_is_directory=True)
    (proj / "pkg/loop").symlink_to(proj, target_is_directory=True)  # a cycle
    assert found([Path("proj")]) == ["proj/pkg/mod.py"]


def test_a_missing_path_is_reported_and_the_run_goes_on(in_tmp: Path) -> None:
    tree(in_tmp, {"app.py": ""})
    files, problems = discover([Path("missing.py"), Path("app.py")], ())
    assert [file.path.as_posix() for file in files] == ["app.py"]
    assert [(p.code, p.path) for p in problems] == [("AFY004", "missing.py")]


def modules(paths: list[Path]) -> dict[str, tuple[str, bool]]:
    files, problems = discover(paths, ())
    assert problems == []
    return {file.path.as_posix(): (file.module, file.is_package) for file in files}


def test_module_names_of_a_package(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "pkg/__init__.py": "",
            "pkg/core.py": "",
            "pkg/__main__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/deep.py": "",
        },
    )
    assert modules([Path("pkg")]) == {
        "pkg/__init__.py": ("pkg", True),
        "pkg/__main__.py": ("pkg.__main__", False),
        "pkg/core.py": ("pkg.core", False),
        "pkg/sub/__init__.py": ("pkg.sub", True),
        "pkg/sub/deep.py": ("pkg.sub.deep", False),
    }
    # Named from inside the package, a file still gets its full name.
    assert modules([Path("pkg/sub/deep.py")]) == {"pkg/sub/deep.py": ("pkg.sub.deep", False)}
    main = SourceFile(Path("pkg/__main__.py"), "pkg.__main__")
    assert main.is_main


def test_module_names_in_a_src_layout(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "pyproject.toml": "",
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "",
            "src/nspkg/tool.py": "",  # a namespace package: no __init__.py
            "src/nspkg/sub/x.py": "",
            "src/single.py": "",
        },
    )
    assert modules([Path(".")]) == {
        "src/nspkg/sub/x.py": ("nspkg.sub.x", False),
        "src/nspkg/tool.py": ("nspkg.tool", False),
        "src/pkg/__init__.py": ("pkg", True),
        "src/pkg/mod.py": ("pkg.mod", False),
        "src/single.py": ("single", False),
    }
    assert modules([Path("src/nspkg/tool.py")]) == {"src/nspkg/tool.py": ("nspkg.tool", False)}


def test_a_src_folder_above_the_project_is_not_a_layout(in_tmp: Path) -> None:
    tree(in_tmp, {"src/proj/pyproject.toml": "", "src/proj/tools/run.py": ""})
    assert modules([Path("src/proj")]) == {"src/proj/tools/run.py": ("run", False)}


def test_module_names_in_a_folder_of_scripts(in_tmp: Path) -> None:
    tree(in_tmp, {"scripts/main.py": "", "scripts/helpers.py": "", "scripts/tools/fetch.py": ""})
    assert modules([Path("scripts")]) == {
        "scripts/helpers.py": ("helpers", False),
        "scripts/main.py": ("main", False),
        "scripts/tools/fetch.py": ("fetch", False),
    }


def aliases(paths: list[Path]) -> dict[str, tuple[str, tuple[str, ...]]]:
    files, problems = discover(paths, ())
    assert problems == []
    return {file.path.as_posix(): (file.module, file.aliases) for file in files}


def test_namespace_packages_give_a_file_its_import_names(in_tmp: Path) -> None:
    tree(
        in_tmp,
        {
            "app.py": "",
            "services/weather_service.py": "",
            "services/deep/x.py": "",
            "services/pkg/__init__.py": "",
            "services/pkg/mod.py": "",
            "not-a-name/tool.py": "",
        },
    )
    assert aliases([Path(".")]) == {
        "app.py": ("app", ()),
        "not-a-name/tool.py": ("tool", ()),
        "services/deep/x.py": ("x", ("deep.x", "services.deep.x")),
        "services/pkg/__init__.py": ("pkg", ("services.pkg",)),
        "services/pkg/mod.py": ("pkg.mod", ("services.pkg.mod",)),
        "services/weather_service.py": ("weather_service", ("services.weather_service",)),
    }
    # Only up to the paths given (without a project root marker), and never above a root.
    assert aliases([Path("services")])["services/deep/x.py"] == ("x", ("deep.x",))
    tree(in_tmp, {"services/deep/pyproject.toml": ""})
    assert aliases([Path(".")])["services/deep/x.py"] == ("x", ())


def test_a_given_package_folder_of_scripts_gives_names_from_that_folder(in_tmp: Path) -> None:
    """`python main.py` in a folder that has an `__init__.py` imports `nested.to_import`
    (the folder is on sys.path), not only `proj.nested.to_import`; a one-part name that is
    a standard library module is not taken."""
    tree(
        in_tmp,
        {
            "proj/__init__.py": "",
            "proj/main.py": "",
            "proj/json.py": "",
            "proj/nested/__init__.py": "",
            "proj/nested/to_import.py": "",
        },
    )
    assert aliases([Path("proj")]) == {
        "proj/__init__.py": ("proj", ()),
        "proj/json.py": ("proj.json", ()),
        "proj/main.py": ("proj.main", ("main",)),
        "proj/nested/__init__.py": ("proj.nested", ("nested",)),
        "proj/nested/to_import.py": ("proj.nested.to_import", ("nested.to_import",)),
    }
