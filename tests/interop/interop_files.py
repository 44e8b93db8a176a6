"""The files a validator is given: files as named, and folders (such as a run's artifacts) walked for one kind."""
import pathlib


def expand(args, suffix):
    """Files as given; each folder as every file ending in `suffix` under it, in order."""
    paths = []
    for arg in args:
        folder = pathlib.Path(arg)
        paths.extend(sorted(str(p) for p in folder.rglob(f"*{suffix}")) if folder.is_dir() else [arg])
    return paths
