#!/usr/bin/env python3
"""Prints the file tree of the image in a docker-archive tar: its layers applied in
order (whiteouts and opaque dirs honoured), one line per path with type, mode, owner,
size and link target; no times. Two builds of one Dockerfile should print the same."""
import json
import posixpath
import sys
import tarfile


def apply_layer(tree, layer):
    for member in layer:
        path = posixpath.normpath("/" + member.name)
        parent, name = posixpath.split(path)
        if name == ".wh..wh..opq":
            for other in [p for p in tree if p.startswith(parent.rstrip("/") + "/")]:
                del tree[other]
            continue
        if name.startswith(".wh."):
            gone = posixpath.join(parent, name[4:])
            for other in [p for p in tree if p == gone or p.startswith(gone + "/")]:
                del tree[other]
            continue
        kind = {tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h"}.get(member.type, "f")
        size = member.size if kind == "f" else ""
        link = member.linkname if kind in "lh" else ""
        tree[path] = f"{kind} {member.mode & 0o7777:o} {member.uid}:{member.gid} {size} {link}".rstrip()


def main(archive_path):
    tree = {}
    with tarfile.open(archive_path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        for layer_name in manifest[0]["Layers"]:
            with tarfile.open(fileobj=archive.extractfile(layer_name)) as layer:
                apply_layer(tree, layer)
    for path in sorted(tree):
        print(path, tree[path])


if __name__ == "__main__":
    main(sys.argv[1])
