#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn what the guest left in OUT into "STATUS NAME" lines (0 = pass).

Usage: results.py OUT [PREFIX]; PREFIX goes in front of every name.

KUnit results come from the boot log (KTAP), kselftest results from the
harness TAP output.  A skip is not a pass: it is reported as a failure.
A missing suite, a crash or a kernel splat in dmesg is a failure too.
"""
import os
import re
import sys

out = sys.argv[1]
TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
SPLAT = re.compile(r"WARNING:|BUG:|KASAN:|UBSAN:|Oops|general protection|"
                   r"possible circular locking|possible recursive locking|"
                   r"inconsistent lock state|suspicious RCU usage|"
                   r"unreferenced object|Kernel panic|Call Trace:")


def read(name):
    try:
        with open(os.path.join(out, name), errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return None


def kunit(lines):
    """Cases of every KUnit suite in the boot log: (status, name)."""
    res, suite = [], None
    for raw in lines or []:
        line = TS.sub("", raw)
        m = re.match(r"^\s+# Subtest: (\S+)", line)
        if m:
            suite = m.group(1)
            continue
        m = re.match(r"^(\s+)(not ok|ok) \d+ (\S+)(.*)$", line)
        if m and suite and len(m.group(1)) == 4:
            skip = "# SKIP" in m.group(4)
            ok = m.group(2) == "ok" and not skip
            res.append((0 if ok else 1, f"kunit:{suite}.{m.group(3)}"))
    return res


def kselftest(name, lines):
    res = []
    since_run = []	# the lines a failing case printed, for the log
    for line in lines:
        if re.match(r"^#\s+RUN\s", line):
            since_run = []
        since_run.append(line)
        m = re.match(r"^(not ok|ok) \d+ (\S+)(.*)$", line)
        if m:
            skip = "# SKIP" in m.group(3)
            ok = m.group(1) == "ok" and not skip
            res.append((0 if ok else 1, f"kselftest:{name}:{m.group(2)}"))
            if not ok:
                for l in since_run[-15:]:
                    print(f"# {name}: {l}", file=sys.stderr)
    ex = [l for l in lines if l.startswith("exit=")]
    if not res or not ex or ex[-1] != "exit=0":
        res.append((1, f"kselftest:{name}:exit-status"))
    return res


def interop_cases(lines, kind="interop"):
    """tools/quic/interop.sh and interop-matrix.sh: "ok CASE" or
    "not ok CASE: why"."""
    res = []
    for line in lines:
        m = re.match(r"^(not ok|ok) (\S+?):?(\s.*)?$", line)
        if m:
            res.append((0 if m.group(1) == "ok" else 1, f"{kind}:{m.group(2)}"))
            if m.group(1) != "ok":
                print(f"# {kind}: {line}", file=sys.stderr)
    ex = [l for l in lines if l.startswith("exit=")]
    if not res or not ex or ex[-1] != "exit=0":
        res.append((1, f"{kind}:exit-status"))
    return res


def bench_cases(lines):
    """tools/quic/run-bench.sh --quick: it ran every cell (its exit status
    says a cell failed), and each quic-noenc run had the peer's
    disable_1rtt_encryption."""
    ex = [l for l in lines if l.startswith("exit=")]
    for l in lines:
        if l.startswith("run-bench:"):
            print(f"# bench: {l}", file=sys.stderr)
    noenc = [l for l in lines if "proto=quic-noenc" in l]
    return [(0 if ex == ["exit=0"] and any(l.startswith("### ") for l in lines)
             else 1, "bench:quick-matrix"),
            (0 if noenc and all("peer_noenc=1" in l for l in noenc) else 1,
             "bench:quic-noenc-negotiated")]


def main():
    console = read("console.txt") or []
    boot = read("dmesg-boot.txt") or console
    cases = kunit(boot)
    # Every suite net/quic defines must have reported.
    here = os.path.dirname(os.path.abspath(__file__))
    srcdir = os.path.join(here, "..", "..", "net", "quic")
    suites = set()
    for f in os.listdir(srcdir):
        if f.endswith("_test.c"):
            with open(os.path.join(srcdir, f)) as t:
                suites |= set(re.findall(r'\.name = "(quic[a-z_]*)"', t.read()))
    for suite in sorted(suites):
        if not any(n.startswith(f"kunit:{suite}.") for _, n in cases):
            cases.append((1, f"kunit:{suite} suite ran"))
    results = [c for c in cases if c[1].startswith("kunit:quic")]
    for f in sorted(os.listdir(out)):
        if f.startswith("kselftest-") and f.endswith(".txt"):
            results += kselftest(f[10:-4], read(f))
    interop = read("interop.txt")
    if interop is not None or read("kmemleak.txt") is None:
        results += interop_cases(interop or [])
        results += interop_cases(read("matrix.txt") or [], "matrix")
        results += bench_cases(read("bench.txt") or [])
    sample = read("sample-quic_sample.txt") or []
    ex = [l for l in sample if l.startswith("exit=")]
    results.append((0 if ex == ["exit=0"] else 1, "sample:quic_sample"))
    if not any(n.startswith("kselftest:") for _, n in results):
        results.append((1, "kselftest:ran"))
    leaks = read("kmemleak.txt")
    if leaks is not None:	# the debug kernel's run
        for l in leaks[:20]:
            print(f"# kmemleak: {l}", file=sys.stderr)
        results.append((1 if leaks else 0, "kmemleak:no-leak"))
    dmesg = read("dmesg.txt")
    splats = [l for l in (dmesg or console) if SPLAT.search(l)]
    for l in splats[:20]:
        print(f"# dmesg: {l}", file=sys.stderr)
    results.append((1 if splats or not dmesg else 0, "dmesg:no-warn-bug-kasan-lockdep"))
    prefix = sys.argv[2] if len(sys.argv) > 2 else ""
    for st, name in results:
        print(st, prefix + name)


main()
