"""What every comparison script writes next to its numbers: the machine, the JDK, the PyTorch and its
BLAS, the thread counts and the machine's load, so that a figure never travels without them.

Imported by the scripts in tools/bench/ (all run under the reference venv's python, see
tools/bench/setup-python.sh). Nothing here imports torch: the torch side of the story comes from
the torch worker itself (`torch_info()` is called inside the process that runs PyTorch).
"""

import os
import platform
import re
import subprocess
import time

# CPU flags worth knowing for a GEMM: vector width, FMA and the 16-bit conversions.
FLAGS_OF_INTEREST = ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16",
                     "avx_vnni", "amx_bf16", "amx_tile")


def venv_python():
    """The reference venv's python (tools/python/setup-venv.sh makes it), or None."""
    venv = os.environ.get("LENS4J_VENV", os.path.expanduser("~/.cache/lens4j/venv"))
    py = os.path.join(venv, "bin", "python")
    return py if os.access(py, os.X_OK) else None


def cpu_info():
    """Model name, logical CPUs, the flags of FLAGS_OF_INTEREST this CPU has, and the cache sizes."""
    model, flags, ident = platform.processor() or "?", set(), {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("?", "x86_64", ""):
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                elif key in ("vendor_id", "cpu family", "model") and key not in ident:
                    # a VM may name its CPU only "AMD EPYC": the family and model numbers tell Zen 3 (25, 1) from Zen 4 (25, 17)
                    ident[key] = value.strip()
    except OSError:
        pass
    if ident.get("cpu family") and ident.get("model"):
        model = "%s (%s family %s, model %s)" % (model, ident.get("vendor_id", "?"), ident["cpu family"], ident["model"])
    caches = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    for idx in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        try:
            level = open(os.path.join(base, idx, "level")).read().strip()
            kind = open(os.path.join(base, idx, "type")).read().strip()
            size = open(os.path.join(base, idx, "size")).read().strip()
        except OSError:
            continue
        if kind != "Instruction":
            caches["L" + level + ("d" if kind == "Data" else "")] = size
    return {
        "model": model,
        "cpus": os.cpu_count(),
        "flags": [f for f in FLAGS_OF_INTEREST if f in flags],
        "caches": caches,
        "hypervisor": "hypervisor" in flags,
    }


def load():
    """The load averages and the time, as `uptime` would say them."""
    one, five, fifteen = os.getloadavg()
    return {"time": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "loadavg": [one, five, fifteen]}


def jdk_version(java):
    """The `java -version` runtime line of the JDK at `java`."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, check=True).stderr.splitlines()
    except (OSError, subprocess.CalledProcessError) as e:
        return "unknown (%s)" % e
    return out[1].strip() if len(out) > 1 else (out[0].strip() if out else "unknown")


def torch_info(torch):
    """Version, BLAS and threads of an imported torch: the BLAS and oneDNN lines of torch.__config__.show()."""
    cfg = torch.__config__.show()
    blas = [line.strip(" -") for line in cfg.splitlines()
            if re.search(r"Math Kernel Library|MKL-DNN|oneDNN|OpenBLAS|BLAS_INFO|CPU capability", line)]
    info = {
        "torch": torch.__version__,
        "blas": blas,
        "mkl": bool(torch.backends.mkl.is_available()),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "num_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    isa = {k: os.environ[k] for k in ("MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")
           if k in os.environ}
    if isa:
        info["isa_env"] = isa
    if not any("Math Kernel Library" in b or "OpenBLAS" in b for b in blas):
        # Debian's torch calls whatever libblas.so.3 points to; name it.
        info["libblas"] = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    return info


def blas_summary(info):
    """One short phrase for a doc: 'MKL 2024.2 + oneDNN 3.12' or the Debian BLAS."""
    parts = []
    for b in info.get("blas", []):
        m = re.search(r"Math Kernel Library Version ([0-9.]+)", b)
        if m:
            parts.append("MKL " + m.group(1))
        m = re.search(r"MKL-DNN v([0-9.]+)", b)
        if m:
            parts.append("oneDNN " + m.group(1))
        if "OpenBLAS" in b:
            parts.append(b)
    if not parts and "libblas" in info:
        parts.append(info["libblas"])
    return " + ".join(parts) or "unknown BLAS"


def describe_session(session):
    """Markdown bullet lines for a results block from a session dict (see the scripts)."""
    cpu = session["cpu"]
    lines = [
        "- CPU: %s, %d logical CPUs%s; flags %s; caches %s" % (
            cpu["model"], cpu["cpus"], " (a VM)" if cpu.get("hypervisor") else "", " ".join(cpu["flags"]) or "none of interest",
            ", ".join("%s %s" % kv for kv in sorted(cpu["caches"].items()))),
        "- JDK: %s" % session.get("jdk", "?"),
    ]
    for name, t in session.get("torch", {}).items():
        lines.append("- %s: PyTorch %s, %s, `OMP_WAIT_POLICY=%s`, `torch.set_num_threads` per row" % (
            name, t["torch"], blas_summary(t), t.get("omp_wait_policy") or "unset")
            + "".join(", `%s=%s`" % kv for kv in sorted(t.get("isa_env", {}).items())))
    if session.get("java_opts"):
        lines.append("- lens4j JVM options: `%s`" % " ".join(session["java_opts"]))
    start, end = session.get("load_start"), session.get("load_end")
    if start:
        lines.append("- Load average (1, 5, 15 min): %s at the start (%s), %s at the end" % (
            " ".join("%.2f" % x for x in start["loadavg"]), start["time"],
            " ".join("%.2f" % x for x in end["loadavg"]) if end else "?"))
    return lines
