"""Make docs/report-examples.png: the README's screenshot of the examples' HTML report.

    .venv/bin/python scripts/report_screenshot.py

Runs ``asyncify report examples/`` and photographs the page in Debian's headless
``chromium`` (tests/chromium.py), with one function's chain highlighted.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import Chromium, find_chromium  # noqa: E402

SELECT = "poller.poller:main"


def main() -> int:
    executable = find_chromium()
    if executable is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        page = Path(work) / "report.html"
        asyncify = Path(sys.executable).parent / "asyncify"
        subprocess.run([str(asyncify), "report", "examples/", "-o", str(page)], cwd=ROOT,
                       check=True)
        browser = Chromium(executable, width=1280, height=1240)
        try:
            browser.open(page)
            browser.evaluate(
                "(() => { const r = window.asyncifyReport; const i = r.cy.nodes().filter("
                f"n => n.data('full') === {SELECT!r})[0].data('idx'); r.select(i); }})()"
            )
            time.sleep(0.3)
            errors = browser.errors()
            if errors:
                print(f"console errors: {errors}", file=sys.stderr)
                return 1
            browser.screenshot(ROOT / "docs" / "report-examples.png", full_page=False)
        finally:
            browser.close()
    print("wrote docs/report-examples.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
