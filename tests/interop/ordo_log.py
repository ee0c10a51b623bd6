"""An independent reader of ordo's dataset log (docs/FORMAT.md, sections 3
and 6), the one FORMAT.md section 11 shows: the files of the latest version,
in order, from format-2 commit records, checkpoints and format-1 manifests."""

import json, os
import pyarrow.fs as pafs, pyarrow.ipc as ipc

def _numbered(fs, directory, ext):
    selector = pafs.FileSelector(directory, allow_not_found=True)
    names = [i.base_name for i in fs.get_file_info(selector) if i.type == pafs.FileType.File]
    return sorted(int(n[:20]) for n in names
                  if len(n) == 20 + len(ext) and n.endswith(ext) and n[:20].isdigit())


def ordo_files(dataset, fs=None):
    """The files of the latest version, in order; [] when empty or removed.
    `dataset` is a path of the pyarrow filesystem `fs` (local by default;
    for S3, `pafs.S3FileSystem(...)` and "bucket/prefix").
    (Retry on FileNotFoundError: a collector or a remover ran meanwhile.)"""
    if fs is None:
        fs, dataset = pafs.LocalFileSystem(), os.path.abspath(dataset)
    log, cps = f"{dataset}/_ordo/manifests", f"{dataset}/_ordo/checkpoints"
    versions = _numbered(fs, log, ".json")
    if not versions:
        return []
    checkpoints = set(_numbered(fs, cps, ".arrow"))
    v, records, groups = versions[-1], [], {}          # groups: file -> min
    while True:                                        # walk back to a base
        if v in checkpoints:
            with fs.open_input_file(f"{cps}/{v:020}.arrow") as f:
                t = ipc.open_file(f).read_all()
            groups = dict(zip(t["file"].to_pylist(), t["min"].to_pylist()))
            break
        with fs.open_input_stream(f"{log}/{v:020}.json") as f:
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
    return [f"{dataset}/{f}" for f in sorted(groups, key=groups.get)]
