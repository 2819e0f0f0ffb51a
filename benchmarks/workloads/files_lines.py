"""Summarise small text files line by line (like examples/file_report, at scale): count
lines, words and keyword hits per file and write a TSV and a JSON report.

    python files_lines.py INPUT_DIR OUTPUT_DIR

Uses open()/json/os the way such scripts do (converted by ``asyncify run --select files``).
"""

import json
import os
import sys
import time


def summarise(path, keyword):
    lines = words = hits = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            lines += 1
            words += len(line.split())
            hits += line.lower().count(keyword)
    return {"file": os.path.basename(path), "lines": lines, "words": words, "hits": hits}


def write_report(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        print("file", "lines", "words", "hits", sep="\t", file=out)
        for row in rows:
            print(row["file"], row["lines"], row["words"], row["hits"], sep="\t", file=out)
    with open(path + ".json", "w", encoding="utf-8") as out:
        json.dump(rows, out, indent=2)


def main(src, dst):
    started = time.perf_counter()
    os.makedirs(dst, exist_ok=True)
    rows = []
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if name.endswith(".txt") and os.path.isfile(path):
            rows.append(summarise(path, "async"))
    write_report(os.path.join(dst, "report.tsv"), rows)
    elapsed = time.perf_counter() - started
    lines = sum(r["lines"] for r in rows)
    print(len(rows), "files", lines, "lines", sum(r["hits"] for r in rows), "hits")
    sys.stderr.write(f"loop-seconds {elapsed:.6f}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
