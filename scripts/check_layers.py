#!/usr/bin/env python3
"""The layer check (issue 17): every include must point down the layer order.

Each source folder is a layer; its public headers sit in <layer>/include/bounce/. A file may
include headers of its own layer and of the layers its layer lists in scripts/layers.conf.
The build enforces most of this by itself (a layer's include path holds only the layers it
links); this check also catches what the build cannot: a layer that links more than its
list allows, and relative includes into another folder. Known wrong-way includes may be
listed in layers.conf to be removed one by one: the check fails on a new one, and on a
listed one that no longer exists (so the list only shrinks). Exit 0 when clean, 1 with one
line per problem.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = os.path.join(ROOT, "scripts", "layers.conf")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_conf():
    layers, known = {}, set()
    section = None
    for number, raw in enumerate(open(CONF, encoding="utf-8"), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section == "layers":
            name, _, below = line.partition(":")
            layers[name.strip()] = set(below.split())
        elif section == "known":
            known.add(line)
        else:
            sys.exit(f"{CONF}:{number}: a line outside [layers] or [known]")
    return layers, known


def main():
    layers, known = read_conf()
    header_layers, sources = {}, []
    for layer in layers:
        folder = os.path.join(ROOT, layer)
        public = os.path.join(folder, "include", "bounce")
        if os.path.isdir(public):
            for f in os.listdir(public):
                header_layers[f"bounce/{f}"] = layer
        for dirpath, _, files in os.walk(folder):
            sources += [(os.path.join(dirpath, f), layer) for f in sorted(files) if f.endswith((".cpp", ".h"))]
    problems, found = [], set()
    for path, layer in sorted(sources):
        rel = os.path.relpath(path, ROOT)
        for number, text in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
            m = INCLUDE.match(text)
            if not m:
                continue
            target = m.group(1)
            if target.startswith("../"):
                problems.append(f"{rel}:{number}: includes {target} by a relative path into another folder")
                continue
            owner = header_layers.get(target)
            if owner is None or owner == layer or owner in layers[layer]:
                continue
            key = f"{rel} -> {target}"
            found.add(key)
            if key not in known:
                problems.append(f"{rel}:{number}: includes {target} ({owner}), which {layer} may not use")
    for key in sorted(known - found):
        problems.append(f"scripts/layers.conf: '{key}' is gone: remove it from [known]")
    for p in problems:
        print(p)
    if not problems:
        print(f"layers: {len(header_layers)} public headers in {len(layers)} layers; {len(found)} known wrong-way includes left, no new ones")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
