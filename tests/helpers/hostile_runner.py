"""Run by tests/test_saving_hostile.py in a fresh process: sets an address-space limit, loads
every file of a manifest with `load_model` (safe mode), and prints one JSON report: each
file's outcome (loaded, or the error's type, ValueError-family or not, whether it names the
file), the process's peak RSS, and whether the canary module was ever imported.

    python hostile_runner.py MANIFEST.json ADDRESS_SPACE_LIMIT_BYTES
"""
import json
import resource
import sys


def peak_rss():
    """This process's peak resident set size in bytes: VmHWM, which (unlike ru_maxrss) does
    not include the RSS of the parent it was forked from."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(manifest, limit):
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import warnings  # noqa: PLC0415

    import lamina  # noqa: PLC0415

    warnings.simplefilter("ignore")
    with open(manifest) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        before = peak_rss()
        path = case["path"]
        try:
            lamina.models.load_model(path)
            results.append({"label": case["label"], "loaded": True})
        except Exception as e:  # noqa: BLE001  (MemoryError included: reported, then asserted)
            message = str(e)
            results.append({"label": case["label"], "loaded": False, "type": type(e).__name__,
                            "value_error": isinstance(e, ValueError),
                            "names_file": path in message,
                            "reason": message.replace(path, "").strip(": ")[:300]})
        results[-1]["peak_rss_growth"] = peak_rss() - before
    print(json.dumps({"results": results, "peak_rss": peak_rss(),
                      "canary_imported": any("canary" in m for m in sys.modules)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
