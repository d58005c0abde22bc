#!/usr/bin/env python3
"""The function-length check (issue 17): no function in the library, the service or the
command is longer than LIMIT lines (signature to closing brace), unless it is listed in
EXEMPT below with the reason it is long. Tests, benchmarks and tools are not checked.

Functions are found by brace matching on the source with comments and strings blanked: a
brace block at namespace or class level whose head has a parameter list is a function
(lambdas and local blocks inside it count towards it). Exit 0 when clean, 1 with one line
per function over the limit.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 80
CHECKED = ("audio", "dsp", "analysis", "formats", "mix", "master", "album", "check", "automix", "report", "serve", "cli")
# "path:function" -> why it is long. Empty today; an entry needs a reason a reviewer accepts.
EXEMPT = {}


def blank(src):
    """The source with comments, string and character literals replaced by spaces."""
    out, i, n = [], 0, len(src)
    while i < n:
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', src[i:])
            end = src.find(")" + m.group(1) + '"', i) + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", src[i:end]))
            i = end
        elif src[i] in "\"'":
            quote, j = src[i], i + 1
            while j < n and src[j] != quote:
                j += 2 if src[j] == "\\" else 1
            out.append(quote + re.sub(r"[^\n]", " ", src[i + 1 : j]) + quote)
            i = j + 1
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


def functions(path):
    """(lines, first line, name) for every function defined in `path`."""
    text = blank(open(path, encoding="utf-8").read())
    stack, last, found = [], 0, []
    for m in re.finditer(r"[{};]", text):
        ch, at = m.group(), m.start()
        if ch == "{":
            head = " ".join(text[last:at].split())
            kind = "other"
            if all(k in ("namespace", "class") for k, _, _ in stack):
                if re.search(r"\bnamespace\b", head) or head.startswith('extern "C"'):
                    kind = "namespace"
                elif re.search(r"\b(class|struct|union|enum)\b[^()]*$", head):
                    kind = "class"
                elif "(" in head and not head.endswith("="):
                    kind = "function"
            name = re.sub(r"\(.*", "", head).split(" ")[-1] if kind == "function" else ""
            stack.append((kind, text.count("\n", 0, at) + 1, name))
        elif ch == "}" and stack:
            kind, line, name = stack.pop()
            if kind == "function":
                found.append((text.count("\n", 0, at) + 1 - line + 1, line, name))
        last = at + 1
    return found


def main():
    try:
        files = subprocess.run(["git", "ls-files", "*.cpp", "*.h"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        files = [os.path.relpath(os.path.join(d, f), ROOT) for d, _, fs in os.walk(ROOT) for f in fs if f.endswith((".cpp", ".h"))]
    problems, checked = [], 0
    for rel in sorted(files):
        if rel.split("/")[0] not in CHECKED:
            continue
        for lines, line, name in functions(os.path.join(ROOT, rel)):
            checked += 1
            if lines > LIMIT and f"{rel}:{name}" not in EXEMPT:
                problems.append(f"{rel}:{line}: {name} is {lines} lines (the limit is {LIMIT}: split it into named phases)")
    for p in problems:
        print(p)
    if not problems:
        print(f"function length: {checked} functions, none over {LIMIT} lines")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
