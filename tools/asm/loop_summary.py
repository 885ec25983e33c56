#!/usr/bin/env python3
"""Summarise the innermost hot loop of C2-compiled methods in a -XX:+PrintAssembly log.

For each method named (default: every C2-compiled method in the log), takes its last standard (not
OSR) C2 nmethod, finds the loops (a conditional branch back to an earlier instruction of the same
method) and reports the innermost one with the most vector FMAs (ties: the shortest), counting its
instructions by kind: FMAs, vector loads (including FMAs and broadcasts that read memory), other
vector operations, scalar operations, conditional branches other than the back edge (C2's range
checks and null checks that stayed in the loop) and stack accesses (spills and reloads).

    java -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,Class::method ... > asm.log
    tools/asm/loop_summary.py [--mca CPU] asm.log [Class::method ...]

With --mca (e.g. --mca sapphirerapids, or znver3), each loop body also goes through llvm-mca
(apt-get install llvm) for its estimated cycles per iteration on that CPU: the bound the loop's
instructions set when every load hits L1.

Needs an hsdis plugin that prints instructions (tools/asm/build-hsdis.sh). Development only.
"""
import re
import subprocess
import sys
from collections import Counter

HEADER = re.compile(r"^Compiled method \(c2\)\s+\d+\s+\d+\s+(%?)\s*\d+\s+(\S+) \(")
INSN = re.compile(r"^\s+0x([0-9a-f]+):\s+([a-z][a-z0-9]*)\s*([^;]*)")
BRANCH = re.compile(r"^j(?!mp)[a-z]+$")


def nmethods(lines):
    """(method, osr, [(address, mnemonic, operands)]) for every C2 nmethod in the log."""
    current = None
    for line in lines:
        header = HEADER.match(line)
        if header:
            if current:
                yield current
            current = (header.group(2), header.group(1) == "%", [])
            continue
        if line.startswith("====") and current and current[2]:
            yield current
            current = None
            continue
        if current is not None:
            insn = INSN.match(line)
            if insn:
                current[2].append((int(insn.group(1), 16), insn.group(2), insn.group(3).strip()))
    if current:
        yield current


def hot_loop(code):
    """The innermost loop (no other back edge inside it) with the most FMAs; ties: the shortest."""
    index = {address: i for i, (address, _, _) in enumerate(code)}
    loops = []
    for i, (address, mnemonic, operands) in enumerate(code):
        if not BRANCH.match(mnemonic):
            continue
        target = re.match(r"0x([0-9a-f]+)", operands)
        if not target:
            continue
        start = index.get(int(target.group(1), 16))
        if start is not None and start <= i:
            loops.append((start, i))
    best = None
    for start, i in loops:
        if any(start <= s2 and e2 < i for s2, e2 in loops if (s2, e2) != (start, i)):
            continue  # an outer loop: report the inner one
        body = code[start:i + 1]
        fmas = sum(m.startswith("vfmadd") or m.startswith("vfnmadd") for _, m, _ in body)
        key = (fmas, -len(body))
        if best is None or key > best[0]:
            best = (key, body)
    return best[1] if best else None


def classify(body):
    kinds = Counter()
    for _, mnemonic, operands in body[:-1]:
        memory = "[" in operands
        if "rsp" in operands and memory:
            kinds["stack"] += 1
        if mnemonic.startswith("vfmadd") or mnemonic.startswith("vfnmadd"):
            kinds["fma"] += 1
            if memory:
                kinds["vector load"] += 1
        elif mnemonic.startswith("v"):
            if not memory:
                kinds["vector other"] += 1
            elif "[" in operands.split(",")[0]:
                kinds["vector store"] += 1  # memory is the destination
            else:
                kinds["vector load"] += 1
        elif BRANCH.match(mnemonic):
            kinds["branch"] += 1
        else:
            kinds["scalar"] += 1
    return kinds


def mca_cycles(body, cpu):
    """llvm-mca's estimate of cycles per iteration of the loop body (without its back edge)."""
    text = [".intel_syntax noprefix"]
    for _, mnemonic, operands in body[:-1]:
        if BRANCH.match(mnemonic):
            continue  # exits to C2's traps: never taken in the loop, not modelled
        text.append(f"{mnemonic} {operands}".replace("PTR", "ptr"))
    run = subprocess.run(["llvm-mca", f"-mcpu={cpu}", "-iterations=200"], input="\n".join(text) + "\n",
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"loop_summary.py: llvm-mca failed: {run.stderr.strip()}")
    total = re.search(r"Total Cycles:\s+(\d+)", run.stdout)
    return int(total.group(1)) / 200


def main(argv):
    mca = None
    if len(argv) > 2 and argv[1] == "--mca":
        mca = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], errors="replace") as f:
        lines = f.read().splitlines()
    wanted = argv[2:]
    last = {}
    for method, osr, code in nmethods(lines):
        if not osr and code:
            last[method] = code
    names = [m for m in last if not wanted or any(m.endswith(w) for w in wanted)]
    if not names:
        print(f"loop_summary.py: no standard C2 nmethod of {wanted or 'any method'} in {argv[1]}", file=sys.stderr)
        return 1
    extra = f" llvm-mca cycles per iteration ({mca}) |" if mca else ""
    print("| method | loop instructions | FMAs | vector loads | other vector | scalar | branches in loop | stack accesses |"
          + extra)
    print("|---|---|---|---|---|---|---|---|" + ("---|" if mca else ""))
    for name in names:
        body = hot_loop(last[name])
        if body is None:
            print(f"| `{name}` | no loop | | | | | | |" + (" |" if mca else ""))
            continue
        k = classify(body)
        print(f"| `{name}` | {len(body)} | {k['fma']} | {k['vector load']} | {k['vector other']} | "
              f"{k['scalar'] + 1} | {k['branch']} | {k['stack']} |" + (f" {mca_cycles(body, mca):.1f} |" if mca else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
