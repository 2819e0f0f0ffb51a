"""A batch job over small JSON records: read each, transform it, write one output per
record and a TSV report.

    python files_json.py INPUT_DIR OUTPUT_DIR

Uses open()/json/os the way such scripts do (converted by ``asyncify run --select files``).
"""

import json
import os
import sys
import time


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def transform(record):
    words = record["text"].split()
    return {
        "id": record["id"],
        "words": len(words),
        "longest": max(words, key=len),
        "score": sum(record["values"]) / len(record["values"]),
        "tags": sorted(set(record["tags"])),
    }


def save(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, sort_keys=True, indent=1)


def write_report(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        print("id", "words", "longest", "score", sep="\t", file=out)
        for row in rows:
            score = f"{row['score']:.3f}"
            print(row["id"], row["words"], row["longest"], score, sep="\t", file=out)


def main(src, dst):
    started = time.perf_counter()
    os.makedirs(dst, exist_ok=True)
    rows = []
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if not name.endswith(".json") or not os.path.isfile(path):
            continue
        row = transform(load(path))
        save(os.path.join(dst, name), row)
        rows.append(row)
    write_report(os.path.join(dst, "report.tsv"), rows)
    elapsed = time.perf_counter() - started
    size = os.path.getsize(os.path.join(dst, "report.tsv"))
    print(len(rows), "records", round(sum(r["score"] for r in rows), 3), size)
    sys.stderr.write(f"loop-seconds {elapsed:.6f}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
