"""Summarise text files: read a JSON config, scan an input folder, write a report.

Convert with `asyncify run --select files examples/file_report` (docs/files.md).
"""

import json
import os
import shutil
import sys


def load_config(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def summarise(path, keyword):
    lines = words = hits = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            lines += 1
            words += len(line.split())
            hits += line.lower().count(keyword)
    return {"file": os.path.basename(path), "lines": lines, "words": words, "hits": hits}


def write_report(path, rows):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        print("file", "lines", "words", "hits", sep="\t", file=out)
        for row in rows:
            print(row["file"], row["lines"], row["words"], row["hits"], sep="\t", file=out)
    with open(path + ".json", "w", encoding="utf-8") as out:
        json.dump(rows, out, indent=2)


def main(config_path):
    config = load_config(config_path)
    folder = config["inputs"]
    rows = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and name.endswith(config["suffix"]):
            rows.append(summarise(path, config["keyword"]))
    write_report(config["report"], rows)
    if os.path.exists(config["report"]):
        shutil.copy(config["report"], config["report"] + ".bak")
    print(f"{len(rows)} files, {sum(r['hits'] for r in rows)} hits")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "config.json")
