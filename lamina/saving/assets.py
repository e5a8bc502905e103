"""Asset files of a `.keras` archive: state kept outside variables, such as the vocabulary of
a `StringLookup` or `TextVectorization`.

Keras 3 stores what a saveable writes with `save_assets(dir)` as the archive members
`assets/<saveable path>/<file>` (the same paths as the weights), and hands each saveable
its folder back on loading. lamina writes and reads the same members, in memory: a
saveable defines `_asset_files()` -> {file name: bytes} and `_load_asset_files({file name:
bytes})`. Loading gives each saveable only the members under its own folder (the archive
already refuses names with "..", absolute paths and oversized members), and nothing is
extracted to disk nor executed: lamina's layers parse their assets as plain text.
"""
from lamina.saving.state import walk

ASSETS_DIR = "assets"


def _folder(path):
    return f"{ASSETS_DIR}/{path}/" if path else f"{ASSETS_DIR}/"


def collect(model):
    """{archive member name: bytes} of every saveable's asset files, in Keras's walk order."""
    members = {}
    for path, obj in walk(model):
        files = getattr(obj, "_asset_files", None)
        if callable(files):
            for name, data in files().items():
                members[_folder(path) + name] = bytes(data)
    return members


def restore(model, archive):
    """Hand each saveable with `_load_asset_files` the files directly in its folder of
    `archive` (a `files.Archive`); sub-folders belong to its child saveables."""
    names = [n for n in archive.members if n.startswith(ASSETS_DIR + "/") and not n.endswith("/")]
    if not names:
        return
    for path, obj in walk(model):
        load = getattr(obj, "_load_asset_files", None)
        if not callable(load):
            continue
        folder = _folder(path)
        own = {n[len(folder):]: archive.read(n) for n in names
               if n.startswith(folder) and "/" not in n[len(folder):]}
        if own:
            load(own)
