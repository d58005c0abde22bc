#!/usr/bin/env python3
"""The layer check (issue 17): every include must point down the layer order.

Each source folder is a layer; a public header in include/bounce/ belongs to the layer whose
folder holds the .cpp of the same name (or, header-only, the one scripts/layers.conf names).
A file may include headers of its own layer and of the layers its layer lists in
scripts/layers.conf. Known wrong-way includes are listed there too, to be removed one by one:
the check fails on a new one, and on a listed one that no longer exists (so the list only
shrinks). Exit 0 when clean, 1 with one line per problem.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = os.path.join(ROOT, "scripts", "layers.conf")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_conf():
    layers, header_layers, known = {}, {}, set()
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
        elif section == "headers":
            header, _, layer = line.partition(":")
            header_layers[header.strip()] = layer.strip()
        elif section == "known":
            known.add(line)
        else:
            sys.exit(f"{CONF}:{number}: a line outside [layers], [headers] or [known]")
    return layers, header_layers, known


def main():
    layers, header_layers, known = read_conf()
    # A header's layer: the folder of its .cpp.
    for layer in layers:
        folder = os.path.join(ROOT, layer)
        for dirpath, _, files in os.walk(folder):
            for f in files:
                stem, ext = os.path.splitext(f)
                if ext == ".cpp" and os.path.exists(os.path.join(ROOT, "include", "bounce", stem + ".h")):
                    header_layers.setdefault(f"bounce/{stem}.h", layer)
    problems, found = [], set()
    for header in sorted(os.listdir(os.path.join(ROOT, "include", "bounce"))):
        if f"bounce/{header}" not in header_layers:
            problems.append(f"include/bounce/{header}: no layer (give it one in scripts/layers.conf [headers])")
    # Every file with its layer: the layer folders' sources, and the public headers.
    sources = []
    for layer in layers:
        for dirpath, _, files in os.walk(os.path.join(ROOT, layer)):
            sources += [(os.path.join(dirpath, f), layer) for f in sorted(files) if f.endswith((".cpp", ".h"))]
    for header, layer in sorted(header_layers.items()):
        path = os.path.join(ROOT, "include", header)
        if os.path.exists(path) and layer in layers:
            sources.append((path, layer))
    for path, layer in sources:
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
        print(f"layers: {len(found)} known wrong-way includes left, no new ones")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
