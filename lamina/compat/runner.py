"""`lamina run`: run a script or a notebook's code cells with the keras/tensorflow aliases on."""
import json
import os
import runpy
import sys
import traceback

from lamina import compat


def run_script(path, args=()):
    """Run `path` as `__main__` with `sys.argv = [path, *args]`, like `python path args`."""
    argv, sys_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [path, *args]
    script_dir = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, script_dir)
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = argv
        if sys.path and sys.path[0] == script_dir:
            del sys.path[0]
        elif sys_path0 is not None and script_dir in sys.path:
            sys.path.remove(script_dir)


def read_code_cells(path):
    """The code cells of a notebook, as a list of source strings (nbformat if installed)."""
    try:
        import nbformat  # noqa: PLC0415  (optional)
    except ImportError:
        nbformat = None
    if nbformat is not None:
        notebook = nbformat.read(path, as_version=4)
        cells = notebook.cells
    else:
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            raise ValueError(f"{path!r} is not a notebook (version 4): no 'cells' list at the top level")
        cells = notebook["cells"]
    sources = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def strip_magics(source, number, note=print):
    """`source` without IPython magics (`%...`, `!...`); a `%%` cell magic skips the cell."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        note(f"[lamina run] code cell {number}: skipped (cell magic {lines[0].split()[0]})")
        return ""
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            note(f"[lamina run] code cell {number}: skipped IPython line {stripped!r}")
            indent = line[: len(line) - len(stripped)]
            kept.append(indent + "pass" if indent else "")
        else:
            kept.append(line)
    return "\n".join(kept)


def run_notebook(path, keep_going=False, args=()):
    """Run the code cells of notebook `path` in order in one namespace; returns the numbers of the
    failed code cells (counted from 1, markdown cells not counted).

    A failing cell prints its number and traceback to stderr; the run stops there unless
    `keep_going`. IPython magics (`%...`, `!...`) are skipped with a note.
    """
    def note(message):
        print(message, file=sys.stderr)

    namespace = {"__name__": "__main__", "__file__": os.path.abspath(path)}
    failed = []
    argv = sys.argv
    sys.argv = [path, *args]
    try:
        for number, source in enumerate(read_code_cells(path), start=1):
            code = strip_magics(source, number, note)
            try:
                exec(compile(code, f"<{os.path.basename(path)} code cell {number}>", "exec"), namespace)
            except (Exception, SystemExit) as e:  # noqa: BLE001  (a cell's error is reported, not raised)
                if isinstance(e, SystemExit) and e.code in (None, 0):
                    break
                failed.append(number)
                note(f"[lamina run] code cell {number} failed:")
                # the cell's own frames only (not this runner's)
                traceback.print_exception(type(e), e, e.__traceback__.tb_next, file=sys.stderr)
                if not keep_going:
                    break
    finally:
        sys.argv = argv
    return failed


def run(path, args=(), keep_going=False, alias=True):
    """Run a `.py` script or an `.ipynb` notebook with the aliases on; returns an exit code."""
    if not os.path.isfile(path):
        print(f"lamina run: no such file: {path!r}", file=sys.stderr)
        return 2
    if alias:
        compat.use_as_keras()
    if path.endswith(".ipynb"):
        failed = run_notebook(path, keep_going=keep_going, args=args)
        if failed:
            print(f"[lamina run] failed code cells: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1 if failed else 0
    run_script(path, args)
    return 0
