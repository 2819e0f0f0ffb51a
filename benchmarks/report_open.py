"""How fast the HTML report of a 3,000-function project opens in headless Chromium.

    python benchmarks/report_open.py [--modules 60] [--per-module 50] [--runs 3] [--keep DIR]

Generates a project (tests/generated_project.py: 60 modules of 50 functions, chains of
calls, every seventh function blocking, some kept synchronous by lambdas), writes its
report with the installed ``asyncify report``, and opens it in Debian's ``chromium``
(tests/chromium.py, the browser tests' client) several times: from navigation until the
call graph is laid out and drawn (``data-ready``), modules collapsed as the page opens
them. Also times "Expand all" (every function a node) once. The target is under 3 s to
open; the exit code is 1 when the median is not.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import Chromium, find_chromium  # noqa: E402
from tests.generated_project import generate_project  # noqa: E402

TARGET_SECONDS = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=60)
    parser.add_argument("--per-module", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the project and report in DIR")
    args = parser.parse_args()
    executable = find_chromium()
    if executable is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="asyncify-report-bench-"))
    try:
        project = generate_project(work / "project", args.modules, args.per_module)
        page = work / "report.html"
        asyncify = shutil.which("asyncify", path=str(Path(sys.executable).parent)) or "asyncify"
        began = time.monotonic()
        subprocess.run([asyncify, "report", ".", "-o", str(page)], cwd=project, check=True)
        written = time.monotonic() - began
        browser = Chromium(executable)
        try:
            opened = [browser.open(page, timeout=60) for _ in range(args.runs)]
            errors = browser.errors()
            nodes = browser.evaluate("window.asyncifyReport.cy.nodes().length")
            functions = browser.evaluate(
                "JSON.parse(document.getElementById('report-data').textContent)"
                ".migration.functions"
            )
            began = time.monotonic()
            browser.evaluate("document.getElementById('expand-all').click()")
            browser.wait_for("document.body.dataset.ready === '1'", timeout=300)
            expanded = time.monotonic() - began
            all_nodes = browser.evaluate("window.asyncifyReport.cy.nodes().length")
        finally:
            browser.close()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    median = statistics.median(opened)
    print(f"project: {functions} functions in {args.modules} modules; "
          f"report {page.name if args.keep else 'written'} ({written:.2f} s to write)")
    print("| what | seconds |")
    print("|---|---|")
    print(f"| open, modules collapsed ({nodes} nodes), median of {len(opened)} | {median:.2f} |")
    print(f"| runs | {', '.join(f'{t:.2f}' for t in opened)} |")
    print(f"| Expand all ({all_nodes} nodes) | {expanded:.2f} |")
    if errors:
        print(f"console errors: {errors}")
    ok = median < TARGET_SECONDS and not errors
    print(f"{'OK' if ok else 'SLOW'}: target < {TARGET_SECONDS:.0f} s to open")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
