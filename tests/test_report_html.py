"""``asyncify report``: the JSON figures, the self-contained HTML page, ``--baseline``,
``plan --format dot|mermaid``, and the page in a real headless Chromium (Debian's package,
driven over the DevTools protocol: tests/chromium.py).

The browser tests are skipped with the reason when Chromium is not installed, and fail
instead under ``CI=true`` (``.ci/run`` installs it; only where it cannot, it says why in
``ASYNCIFY_CHROMIUM_MISSING`` and they skip). The screenshot of the fixture
project's report is saved in ``$ASYNCIFY_TEST_ARTIFACTS`` (default ``build/test-artifacts``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import Chromium, find_chromium
from tests.generated_project import generate_project
from tests.test_cli import asyncify

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "report" / "project"
ARTIFACTS = Path(os.environ.get("ASYNCIFY_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A copy of the fixture project (paths in the report are relative to it)."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "project"))


def report_json(cwd: Path, *args: str) -> dict[str, Any]:
    done = asyncify("report", ".", "--format", "json", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr.decode()
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def report_html(cwd: Path, out: Path, *args: str) -> str:
    done = asyncify("report", ".", "-o", out, *args, cwd=cwd)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    return out.read_text(encoding="utf-8")


# -- the figures ------------------------------------------------------------------------
def test_migration_figures_of_the_fixture_project(app: Path) -> None:
    data = report_json(app)
    migration = data["migration"]
    # 13 functions; fetch, fetch_all, report, main, save, save_all become async; size and
    # head stay sync (called in a lambda), so do Ledger.total, _load and read_rows (a
    # property); by_size and wait reach no blocking call that is converted.
    assert migration["functions"] == 13
    assert migration["async"] == 6
    assert migration["reaching_blocking"] == 11
    assert migration["kept_sync"] == 5
    assert migration["coverage"] == round(6 / 11, 4)
    assert migration["kept_sync_by_code"] == {"AFY101": 2, "AFY103": 3}
    blockers = [(b["code"], b["path"], b["line"], b["weight"]) for b in migration["blockers"]]
    assert blockers == [("AFY103", "app/store.py", 20, 3), ("AFY101", "app/cli.py", 8, 2)]
    assert migration["blockers"][0]["functions"] == [
        "app.store:Ledger._load", "app.store:Ledger.total", "app.store:read_rows"
    ]
    # the same run's other figures agree
    assert migration["async"] == data["summary"]["async_functions"]
    assert migration["async"] == len(data["plan"]["async_functions"])
    assert sorted(b["code"] for b in migration["blockers"]) == sorted(
        f["code"] for f in data["findings"]
    )
    messages = {f["message"] for f in data["findings"]}
    assert all(b["message"] in messages for b in migration["blockers"])
    # report --format json carries the diffs the page shows (the program's new
    # compatibility module among them)
    assert {f["path"] for f in data["files"] if "diff" in f} == {
        "app/_async_compat.py", "app/cli.py", "app/net.py", "app/store.py"
    }


def test_a_caller_of_a_kept_function_is_blamed_on_the_pin_below_it(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import time\n\n\ndef slow():\n    time.sleep(1)\n\n\ndef held():\n    return slow()\n\n\n"
        "def caller():\n    return held()\n\n\nHANDLERS = [lambda: held()]\n"
    )
    migration = report_json(tmp_path)["migration"]
    # held is called in a lambda: it and slow stay sync; caller would be async but calls
    # only held, so the same lambda keeps it synchronous too.
    assert migration["async"] == 0
    assert migration["kept_sync"] == 3
    assert [(b["code"], b["weight"]) for b in migration["blockers"]] == [("AFY101", 3)]
    assert migration["blockers"][0]["functions"] == ["m:caller", "m:held", "m:slow"]


def test_nothing_reaching_blocking_io_is_full_coverage(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    migration = report_json(tmp_path)["migration"]
    assert (migration["functions"], migration["reaching_blocking"], migration["coverage"]) == (
        1, 0, 1.0
    )


def test_scripts_planned_apart_are_one_graph(tmp_path: Path) -> None:
    """Two scripts that each have a `main` (two programs, merged plans)."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.py").write_text(
            "import time\n\n\ndef main():\n    time.sleep(1)\n\n\n"
            'if __name__ == "__main__":\n    main()\n'
        )
    data = report_json(tmp_path)
    assert data["migration"]["functions"] == 2
    assert data["migration"]["async"] == 2 == len(data["plan"]["async_functions"])


# -- the page ---------------------------------------------------------------------------
def embedded(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_page_is_self_contained_and_holds_the_json_figures(app: Path, tmp_path: Path) -> None:
    page = report_html(app, tmp_path / "report.html")
    # nothing is fetched when the page is viewed: no external script, style, image or font
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*>", page)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page
    assert "cytoscape" in page and "The Cytoscape Consortium" in page  # bundled, licence kept
    data = embedded(page)
    assert data["migration"] == report_json(app)["migration"]
    assert data["summary"]["files"] == 5  # the four and the new app/_async_compat.py
    # a file's source that looks like the page's own markers or a closing script tag
    (app / "app" / "tricky.py").write_text('X = "</script> @@DATA@@"\n')
    page = report_html(app, tmp_path / "report2.html")
    assert embedded(page)["summary"]["files"] == 6  # and tricky.py


def test_findings_are_shown_inline_at_their_lines(app: Path, tmp_path: Path) -> None:
    page = report_html(app, tmp_path / "report.html")
    cli = page.split('data-path="app/cli.py"')[1].split("</details>")[0]
    lambda_line = cli.index("key=lambda url: size(url))")
    finding = cli.index('data-code="AFY101" data-line="8"')
    next_line = cli.index('<td class="ln">9</td><td class="ln">10</td>')  # old 9, new 10
    assert lambda_line < finding < next_line
    # a finding at a line the diff does not show is given with its source line
    store = page.split('data-path="app/store.py"')[1].split("</details>")[0]
    assert '<span class="ln">line 20</span> <code>    def total(self):</code>' in store


def test_baseline_shows_progress(app: Path, tmp_path: Path) -> None:
    before = tmp_path / "before.json"
    before.write_text(json.dumps(report_json(app)))
    # the lambda is fixed: size and head become async too
    cli = app / "app" / "cli.py"
    cli.write_text(cli.read_text().replace(
        "def by_size(urls):\n    return sorted(urls, key=lambda url: size(url))",
        "def by_size(urls):\n    sizes = {url: size(url) for url in urls}\n"
        "    return sorted(urls, key=sizes.get)",
    ))
    now = report_json(app, "--baseline", str(before))
    progress = now["progress"]
    assert progress["then"]["coverage"] == round(6 / 11, 4)
    assert progress["now"]["coverage"] == now["migration"]["coverage"] == round(9 / 12, 4)
    assert progress["now"]["async"] == 9
    weights = {b["code"]: (b["then"], b["now"]) for b in progress["blockers"]}
    assert weights == {"AFY101": (2, 0), "AFY103": (3, 3)}
    page = report_html(app, tmp_path / "report.html", "--baseline", str(before))
    assert embedded(page)["progress"] == progress


def test_a_file_that_cannot_be_processed_is_shown_with_its_error(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "ok.py").write_text("import time\n\n\ndef g():\n    time.sleep(1)\n")
    done = asyncify("report", ".", "-o", tmp_path / "out.html", cwd=tmp_path)
    assert done.returncode == 2  # as every command: some file could not be processed
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    bad = page.split('data-path="bad.py"')[1].split("</details>")[0]
    assert 'data-code="AFY001" data-line="1"' in bad and "<code>def f(:</code>" in bad
    assert embedded(page)["summary"]["errors"] == 1
    assert embedded(page)["migration"]["async"] == 1  # ok.py is still planned


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", ".", "--format", "sarif"], "`report` writes --format html"),
        (["diff", ".", "--format", "dot"], "works with `plan` only"),
        (["check", ".", "--format", "mermaid"], "works with `plan` only"),
        (["report", ".", "--baseline", "missing.json"], "cannot read --baseline"),
        (["report", ".", "--baseline", "plan.json"], "has no `migration` section"),
        (["report", ".", "--baseline", "app/net.py"], "is not JSON"),
    ],
)
def test_usage_errors_exit_2(app: Path, args: list[str], message: str) -> None:
    plan = asyncify("plan", ".", "--format", "json", "-o", "plan.json", cwd=app)
    assert plan.returncode == 0
    done = asyncify(*args, cwd=app)
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert done.stdout == b""


# -- plan --format dot|mermaid ----------------------------------------------------------
def test_plan_as_dot(app: Path) -> None:
    done = asyncify("plan", ".", "--format", "dot", cwd=app)
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    assert text.startswith("digraph asyncify_plan {") and text.rstrip().endswith("}")
    assert '"app.net.fetch_all" -> "app.net.fetch";' in text
    assert '"app.net.fetch" -> "api:requests.get";' in text
    assert re.search(r'"app\.net\.size" \[label="size", fillcolor="#e76f51", class=kept', text)
    assert re.search(r'"app\.net\.fetch" \[label="fetch", fillcolor="#2a9d8f", class=async', text)
    assert text.count("subgraph cluster_") == 3  # app.cli, app.net, app.store
    assert "by_size" not in text and "wait" not in text  # reach nothing blocking
    # Graphviz reads it (under CI=true it must be there: .ci/run installs it)
    if shutil.which("dot") is None:
        cannot = os.environ.get("ASYNCIFY_GRAPHVIZ_MISSING")
        if os.environ.get("CI") == "true" and not cannot:
            pytest.fail("Graphviz is not installed; .ci/run installs it")
        pytest.skip(f"Graphviz is not installed (apt-get install graphviz) {cannot or ''}")
    svg = subprocess.run(["dot", "-Tsvg"], input=done.stdout, capture_output=True, check=True)
    assert b"<svg" in svg.stdout and b"fetch_all" in svg.stdout


def test_plan_as_mermaid(app: Path) -> None:
    done = asyncify("plan", ".", "--format", "mermaid", cwd=app)
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "flowchart LR"
    node = re.compile(r'\s+(\w+)\["(.*?)"\]')
    ids = {m.group(2): m.group(1) for m in map(node.match, lines) if m}
    assert f"  {ids['fetch_all']} --> {ids['fetch']}" in lines
    assert f'    {ids["size"]}["size"]:::kept' in lines
    assert sum(1 for line in lines if line.strip() == "end") == 3
    api = next(line.split("(")[0].strip() for line in lines if '(["requests.get"])' in line)
    assert f"  {ids['fetch']} --> {api}" in lines


# -- in a real browser ------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    executable = find_chromium()
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium)"
        cannot = os.environ.get("ASYNCIFY_CHROMIUM_MISSING")  # set by .ci/run, saying why
        if os.environ.get("CI") == "true" and not cannot:
            pytest.fail(f"{reason}; .ci/run installs it, so under CI=true this is a failure")
        pytest.skip(f"{reason}: {cannot}" if cannot else reason)
    chromium = Chromium(executable)
    try:
        yield chromium
    finally:
        chromium.close()


def node_point(browser: Chromium, label: str) -> tuple[float, float]:
    """Where a graph node whose full label is ``label`` (or a module) is on the screen."""
    point = browser.evaluate(
        """(() => {
        const graph = document.getElementById('graph');
        graph.scrollIntoView();
        const box = graph.getBoundingClientRect();
        const node = window.asyncifyReport.cy.nodes().filter(n => n.data('full') === LABEL)[0];
        const p = node.renderedPosition();
        return [box.left + p.x, box.top + p.y];
        })()""".replace("LABEL", json.dumps(label))
    )
    assert isinstance(point, list)
    return point[0], point[1]


def chain_shown(browser: Chromium) -> list[str]:
    shown = browser.evaluate(
        "[...document.querySelectorAll('#chain li')].map(li => li.textContent)"
    )
    assert isinstance(shown, list)
    return shown


def test_the_report_in_chromium(browser: Chromium, app: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    report_html(app, page)
    data = report_json(app)
    browser.open(page)
    assert browser.errors() == []
    # the summary shows the JSON report's figures
    figures = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-figure]')].map("
        "f => [f.dataset.figure, Number(f.querySelector('.value').dataset.value)]))"
    )
    migration = data["migration"]
    assert figures == {
        "files": data["summary"]["files"],
        "changed": data["summary"]["changed"],
        "findings": data["summary"]["findings"],
        **{k: migration[k] for k in ("functions", "reaching_blocking", "async", "kept_sync")},
        "coverage": migration["coverage"],
    }
    shown = browser.evaluate(
        "document.querySelector('[data-figure=coverage] .value').textContent"
    )
    assert shown == f"{migration['coverage_percent']}%" == "54.5%"
    weights = browser.evaluate(
        "[...document.querySelectorAll('#blockers-table tr[data-weight]')].map("
        "r => [r.dataset.code, Number(r.dataset.weight)])"
    )
    assert weights == [[b["code"], b["weight"]] for b in migration["blockers"]]
    # every function is a node; clicking one shows its chain, as `plan` gives it
    labels = browser.evaluate(
        "window.asyncifyReport.cy.nodes('[idx >= 0]').map(n => n.data('full'))"
    )
    assert isinstance(labels, list)
    assert len([label for label in labels if ":" in label]) == migration["functions"]
    chains = {c["name"]: c["chain"] for c in data["plan"]["async_functions"]}
    for label in ("app.cli:main", "app.net:fetch_all"):
        browser.click(*node_point(browser, label))
        browser.wait_for(f"document.getElementById('chain-panel').dataset.selected === {label!r}")
        assert chain_shown(browser) == chains[label]
        highlighted = browser.evaluate(
            "window.asyncifyReport.cy.nodes('.chain').map(n => n.data('full'))"
        )
        assert sorted(highlighted) == sorted(h.partition(" @ ")[0] for h in chains[label])
    # a kept function: its chain to the blocking call, and what keeps it synchronous
    browser.click(*node_point(browser, "app.net:size"))
    browser.wait_for("document.getElementById('chain-panel').dataset.selected === 'app.net:size'")
    assert chain_shown(browser) == ["app.net:size", "app.net:head", "requests.head @ app/net.py:13"]
    assert "AFY101" in browser.evaluate("document.getElementById('chain-hint').textContent")
    # a blocking call: the functions that make it
    browser.click(*node_point(browser, "time.sleep"))
    browser.wait_for("document.getElementById('chain-panel').dataset.selected === 'time.sleep'")
    assert chain_shown(browser) == ["app.store:read_rows", "app.store:save"]
    # a click on the background clears it
    graph_box = browser.evaluate(
        "(() => { const b = document.getElementById('graph').getBoundingClientRect();"
        " return [b.left + 3, b.top + 3]; })()"
    )
    browser.click(*graph_box)
    browser.wait_for("!document.getElementById('chain-panel').dataset.selected")
    assert chain_shown(browser) == []
    # the diffs: one block per file that changes or has findings, findings inline
    # (the three modules and the new compatibility module)
    assert browser.evaluate("document.querySelectorAll('details.file').length") == 4
    assert browser.evaluate("document.querySelectorAll('.finding-box').length") == 2
    assert browser.errors() == []
    shot = ARTIFACTS / "report-fixture-project.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_a_large_report_opens_with_modules_collapsed(
    browser: Chromium, tmp_path: Path
) -> None:
    project = generate_project(tmp_path / "big", modules=12, per_module=25)
    page = tmp_path / "report.html"
    report_html(project, page)
    browser.open(page)
    assert browser.errors() == []
    cy = "window.asyncifyReport.cy"
    assert browser.evaluate(f"{cy}.nodes('.module.collapsed').length") == 13  # and __main__
    before = browser.evaluate(f"{cy}.nodes().length")
    browser.click(*node_point(browser, "gen.mod3"))  # expands that module
    browser.wait_for(f"{cy}.nodes('.module.open').length === 1")
    assert browser.evaluate(f"{cy}.nodes().length") == before + 25
    browser.wait_for("document.body.dataset.ready === '1'")
    browser.click(*node_point(browser, "gen.mod3:f18"))
    browser.wait_for("document.getElementById('chain-panel').dataset.selected === 'gen.mod3:f18'")
    source = (project / "gen" / "mod3.py").read_text().splitlines()
    sleep = next(n for n, line in enumerate(source, 1) if n > source.index("def f20(x):")
                 and "time.sleep" in line)
    assert chain_shown(browser) == [
        "gen.mod3:f18", "gen.mod3:f19", "gen.mod3:f20", f"time.sleep @ gen/mod3.py:{sleep}"
    ]
    assert browser.errors() == []


def test_the_examples_report_has_no_console_errors(browser: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "examples.html"
    done = asyncify("report", "examples", "-o", page, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(asyncify("report", "examples", "--format", "json", cwd=ROOT).stdout)
    browser.open(page)
    assert browser.errors() == []
    assert browser.evaluate(
        "Number(document.querySelector('[data-figure=async] .value').dataset.value)"
    ) == data["migration"]["async"] == data["summary"]["async_functions"]


def test_progress_and_find_in_chromium(browser: Chromium, app: Path, tmp_path: Path) -> None:
    before = tmp_path / "before.json"
    before.write_text(json.dumps(report_json(app)))
    store = app / "app" / "store.py"  # the property becomes a method: 3 more functions async
    store.write_text(store.read_text().replace("    @property\n", ""))
    cli = app / "app" / "cli.py"
    cli.write_text(cli.read_text().replace("return ledger.total", "return ledger.total()"))
    page = tmp_path / "report.html"
    report_html(app, page, "--baseline", str(before))
    browser.open(page)
    assert browser.errors() == []
    assert browser.evaluate("document.getElementById('progress').hidden") is False
    rows = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#progress-table tr[data-figure]')]"
        ".map(r => [r.dataset.figure, [...r.querySelectorAll('td')].slice(1)"
        ".map(td => td.textContent)]))"
    )
    assert rows["coverage"] == ["54.5%", "81.8%"]  # 6 of 11, then 9 of 11
    assert rows["async"] == ["6", "9"]
    fixed = browser.evaluate(
        "[...document.querySelectorAll('#progress-body table:nth-of-type(2) tr')].slice(1)"
        ".map(r => [...r.querySelectorAll('td')].map(td => td.textContent))"
    )
    assert [row[0] for row in fixed] == ["AFY101", "AFY103"]
    assert fixed[1][3:] == ["3", "fixed"]
    # Find: a function by name, its chain shown
    browser.evaluate(
        "(() => { const f = document.getElementById('find'); f.value = 'app.store:save_all';"
        " f.dispatchEvent(new Event('change')); })()"
    )
    browser.wait_for(
        "document.getElementById('chain-panel').dataset.selected === 'app.store:save_all'"
    )
    assert chain_shown(browser) == [
        "app.store:save_all", "app.store:save", "time.sleep @ app/store.py:5"
    ]
    assert browser.errors() == []


PROJECTS = sorted(
    p / "before" for p in (ROOT / "tests" / "fixtures" / "projects").iterdir()
    if (p / "before").is_dir()
)


@pytest.mark.parametrize("before", PROJECTS, ids=[p.parent.name for p in PROJECTS])
def test_the_fixture_projects_reports_in_chromium(
    browser: Chromium, before: Path, tmp_path: Path
) -> None:
    """Every fixture project's page loads cleanly and shows its JSON report's figures."""
    project = Path(shutil.copytree(before, tmp_path / "project"))
    page = tmp_path / "report.html"
    report_html(project, page)
    migration = report_json(project)["migration"]
    browser.open(page)
    assert browser.errors() == []
    figures = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-figure]')].map("
        "f => [f.dataset.figure, Number(f.querySelector('.value').dataset.value)]))"
    )
    for key in ("functions", "reaching_blocking", "async", "kept_sync", "coverage"):
        assert figures[key] == migration[key], key
    assert migration["async"] > 0  # each of them converts something
