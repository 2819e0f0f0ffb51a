"""A generated project of any size, for the report's collapse test and its benchmark.

``modules`` modules of ``per_module`` functions each: in every module a chain of calls
``f0 → f1 → …``, every seventh function sleeping (blocking I/O), ``f0`` calling the next
module's ``f0``, and in every tenth module a lambda that calls ``f1``, which keeps it and
what it calls synchronous (AFY101).
"""

from __future__ import annotations

from pathlib import Path


def generate_project(root: Path, modules: int, per_module: int) -> Path:
    package = root / "gen"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    for m in range(modules):
        lines = ["import time", ""]
        if m + 1 < modules:
            lines += [f"from gen import mod{m + 1}", ""]
        for f in range(per_module):
            body = []
            if f + 1 < per_module:
                body.append(f"    f{f + 1}(x)")
            if f % 7 == 6:
                body.append("    time.sleep(0)")
            if f == 0 and m + 1 < modules:
                body.append(f"    mod{m + 1}.f0(x)")
            if f == 0 and m % 10 == 5:
                body.append("    sorted([x], key=lambda y: f1(y))")
            body.append("    return x")
            lines += ["", f"def f{f}(x):", *body, ""]
        (package / f"mod{m}.py").write_text("\n".join(lines))
    (package / "__main__.py").write_text(
        "from gen import mod0\n\n\ndef main():\n    mod0.f0(1)\n\n\n"
        'if __name__ == "__main__":\n    main()\n'
    )
    return root
