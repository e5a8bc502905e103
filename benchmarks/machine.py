"""The machine a benchmark table was measured on, printed above every table: the CPU model,
its widest vector extension (OpenBLAS's and NumPy's kernels differ between AVX2 and AVX-512
machines: the same row can change ranking), the core count and the load."""
import os
import platform


def cpu_model():
    """The CPU's model name, and "AVX-512" / "AVX2" when /proc/cpuinfo shows them."""
    name, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and name is None:
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    name = name or platform.processor() or "unknown CPU"
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else None
    return f"{name} ({isa})" if isa else name


def describe():
    """One line: CPU model and extension, CPU count, load average."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu_model()}, {os.cpu_count()} CPUs, load average {load:.1f}"
