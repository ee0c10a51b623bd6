"""An independent reader of ordo's dataset log (docs/FORMAT.md, sections 3
and 6), the one FORMAT.md section 11 shows: the files of the latest version,
in order, from format-2 commit records, checkpoints and format-1 manifests."""

import json
import os

import pyarrow.ipc as ipc


def _numbered(directory, ext):
    if not os.path.isdir(directory):
        return []
    return sorted(int(n[:20]) for n in os.listdir(directory)
                  if len(n) == 20 + len(ext) and n.endswith(ext) and n[:20].isdigit())


def ordo_files(dataset):
    """The files of the latest version, in order; [] when empty or removed.
    (Retry on FileNotFoundError: a collector or a remover ran meanwhile.)"""
    log = os.path.join(dataset, "_ordo", "manifests")
    cps = os.path.join(dataset, "_ordo", "checkpoints")
    versions = _numbered(log, ".json")
    if not versions:
        return []
    checkpoints = set(_numbered(cps, ".arrow"))
    v, records, groups = versions[-1], [], {}          # groups: file -> min
    while True:                                        # walk back to a base
        if v in checkpoints:
            t = ipc.open_file(os.path.join(cps, f"{v:020}.arrow")).read_all()
            groups = dict(zip(t["file"].to_pylist(), t["min"].to_pylist()))
            break
        with open(os.path.join(log, f"{v:020}.json")) as f:
            r = json.load(f)
        assert r["format"] == "ordo-dataset" and r["format_version"] in (1, 2)
        if r["format_version"] == 1:                   # a whole version
            if not r.get("removed"):
                groups = {g["file"]: g["min"] for g in r["row_groups"]}
            break
        records.append(r)
        if r.get("removed") or "schema" in r:          # starts from nothing
            break
        v -= 1
    for r in reversed(records):                        # oldest first
        if r.get("removed"):
            groups = {}
        for f in r.get("remove", []):
            del groups[f]
        groups.update((g["file"], g["min"]) for g in r.get("add", []))
    # Added groups may sit between kept ones: order by the statistics.
    return [os.path.join(dataset, f) for f in sorted(groups, key=groups.get)]
