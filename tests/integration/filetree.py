"""filetree: a folder as {relative path: bytes}, for tests that compare
outputs byte for byte (build caches, sync results, folder targets)."""
import os


def tree(root, skip_top=()):
    """Every file below root; top-level folders named in skip_top left out."""
    out = {}
    for d, dirs, names in os.walk(root):
        if d == str(root):
            dirs[:] = [x for x in dirs if x not in skip_top]
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out
