"""Fails when the modules of a crate import each other in a circle.

    python3 .ci/import_cycles.py SRC_DIR...

A module's imports are the `crate::`, `super::` and `self::` paths in its
file outside `#[cfg(test)]`, resolved to the longest module they name.
Declaring a child module (`mod x;`) is not an import.
"""
import os
import re
import sys


def modules(src):
    found = {}
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                mod = os.path.relpath(path, src)[:-3]
                if mod.endswith("/mod"):
                    mod = mod[:-4]
                if mod in ("lib", "main"):
                    mod = ""
                found[mod] = open(path).read().split("#[cfg(test)]")[0]
    return found


def resolve(mods, cur, path):
    parts = path.split("::")
    here = cur.split("/") if cur else []
    if parts[0] == "crate":
        base, parts = [], parts[1:]
    elif parts[0] == "self":
        base, parts = here, parts[1:]
    else:
        base = here[:-1]
        parts = parts[1:]
        while parts and parts[0] == "super":
            base, parts = base[:-1], parts[1:]
    for k in range(len(parts), -1, -1):
        mod = "/".join(base + parts[:k])
        if mod in mods:
            return mod
    return None


def cycles(mods):
    edges = {m: set() for m in mods}
    for m, text in mods.items():
        for path in re.findall(r"\b((?:crate|super|self)(?:::[A-Za-z_]\w*)+)", text):
            target = resolve(mods, m, path)
            if target is not None and target != m:
                edges[m].add(target)
    # Tarjan's strongly connected components.
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in mods:
        if v not in index:
            visit(v)
    return out


failed = False
for src in sys.argv[1:]:
    for comp in cycles(modules(src)):
        print(f"{src}: modules import each other in a circle: {', '.join(c or 'lib' for c in comp)}")
        failed = True
sys.exit(1 if failed else 0)
