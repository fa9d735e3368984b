#!/usr/bin/env python3
"""Where each accounts column is spelt: the non-test files of src/ that write
its name, and a failure when one is written in more than three (its table
entry in src/columns/accounts.rs, the code computing it, and at most one
more: issue 19). A new column should be one table entry plus the code that
computes it; every other stage reads the table (docs/architecture.md,
"Adding a report column").

Counted: the name as a word in code (an identifier, a field), and in a
string literal without a space (a key such as "utilization" or
"utilization.change"); a string with a space is prose ("license
utilization"), and comments are not code. Not counted:
- test code (tests.rs, tests/, test_support.rs, and a file's trailing
  #[cfg(test)] module);
- src/history/schema/released.rs: the released migrations spell every
  column they created, frozen by design (a migration never reads the
  table);
- the columns whose names are ordinary words of the domain, also the names
  of other things (an organization's `status`, an outcome's `request_id`):
  listed, but a word search cannot tell them apart.

Usage: scripts/column_spelling.py [ROOT]; exit 1 when a column is spelt in
more than three files.
"""
import glob
import os
import re
import sys

LIMIT = 3
TABLE = "src/columns/accounts.rs"
FROZEN = {"src/history/schema/released.rs"}
SHARED = {"account", "uin", "status", "error_code", "error_message", "request_id"}


def columns(root):
    """The accounts table's keys, in table order: the first argument of
    each `Col::new(` in its file."""
    text = open(os.path.join(root, TABLE), encoding="utf-8").read()
    return re.findall(r'Col::new\(\s*"([a-z0-9_]+)"', text)


def code_of(text):
    """The text with comments removed and each string literal replaced by
    its content when it has no whitespace (a key), by nothing otherwise."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i)
            i = n if j < 0 else j + 2
        elif text[i] == '"' or (text[i] == "r" and re.match(r'r#*"', text[i:i + 8])
                                and not (text[i - 1:i].isalnum() or text[i - 1:i] == "_")):
            m = re.match(r'(r(#*))?"', text[i:])
            hashes = m.group(2) or ""
            start = i + len(m.group(0))
            j = start
            while True:
                if not m.group(1) and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith('"' + hashes, j):
                    break
                j += 1
            literal = text[start:j]
            out.append(" " if re.search(r"\s", literal) else " " + literal + " ")
            i = j + 1 + len(hashes)
        elif text[i] == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            i += len(re.match(r"'(\\.|[^\\'])'", text[i:]).group(0))
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def sources(root):
    """The non-test sources of src/, as code."""
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "src/**/*.rs"), recursive=True)):
        rel = os.path.relpath(path, root)
        name = os.path.basename(rel)
        if name in ("tests.rs", "test_support.rs") or "/tests/" in rel or rel in FROZEN:
            continue
        text = open(path, encoding="utf-8").read()
        m = re.search(r"\n#\[cfg\(test\)\]\s*\n\s*(pub(\([^)]*\))?\s+)?mod \w+\s*\{", text)
        if m:
            text = text[: m.start()]
        found[rel] = code_of(text)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = sources(root)
    over = []
    for column in columns(root):
        word = re.compile(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(column))
        hits = [rel for rel, code in files.items() if word.search(code)]
        if column in SHARED:
            print("%-26s  (a shared word, not checked) %d files" % (column, len(hits)))
            continue
        flag = "" if len(hits) <= LIMIT else "  <-- more than %d" % LIMIT
        print("%-26s %d: %s%s" % (column, len(hits), ", ".join(hits), flag))
        if len(hits) > LIMIT:
            over.append(column)
    if over:
        print("spelt in more than %d files: %s" % (LIMIT, ", ".join(over)))
        return 1
    print("every checked accounts column is spelt in at most %d files" % LIMIT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
