#!/usr/bin/env python3
"""Parse floor: read every *.yaml / *.yml file under ROOT and parse it with libyaml.

mode ``compose``: ``yaml.compose_all(text, Loader=yaml.CSafeLoader)`` (node graph with positions) —
the minimum any position-reporting YAML linter must do.
mode ``load``: ``yaml.load_all(text, Loader=yaml.CSafeLoader)`` (full Python object construction).

Prints ``files=<n> docs=<n> errors=<n>`` on stdout.
"""
import os
import sys

import yaml

SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}


def main() -> int:
    mode, root = sys.argv[1], sys.argv[2]
    fn = yaml.compose_all if mode == "compose" else yaml.load_all
    files = docs = errors = 0
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        for n in sorted(names):
            if not n.endswith((".yaml", ".yml")):
                continue
            files += 1
            with open(os.path.join(d, n), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            try:
                for _ in fn(text, Loader=yaml.CSafeLoader):
                    docs += 1
            except yaml.YAMLError:
                errors += 1
    print(f"files={files} docs={docs} errors={errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
