#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hook our files into an unmodified kernel tree.

The repository holds only files that QUIC owns.  The few existing kernel
files that must name QUIC (Kconfig/Makefile includes, IPPROTO_QUIC, SOL_QUIC,
the MAINTAINERS entry, index pages) are edited here, anchored on their
neighbours so the edits survive small changes in the base.  Every edit is
idempotent and belongs to one "group" so the series generator can apply it in
the patch that needs it.

usage: glue.py [--from-base] TREE [GROUP...]      (no group: all of them)

--from-base: TREE is a git worktree whose "base" tag is the pristine
kernel; each glued file is rebuilt from its base version and written only
if that changes it (make's timestamps stay meaningful).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))

# group -> [(file, anchor regex, text, "after"|"before"|"replace")]
EDITS = {
    "uapi": [
        ("include/uapi/linux/in.h", r"^  IPPROTO_MPTCP = 262,.*$",
         "\tIPPROTO_QUIC = 261,\t/* A UDP-Based Multiplexed and Secure Transport */\n"
         "#define IPPROTO_QUIC\t\tIPPROTO_QUIC\n", "before"),
        ("include/linux/socket.h", r"^#define SOL_VSOCK\t287$",
         "#define SOL_QUIC\t288\n", "after"),
    ],
    "kbuild": [
        ("net/Kconfig", r'^source "net/sctp/Kconfig"$',
         'source "net/quic/Kconfig"\n', "after"),
        ("net/Makefile", r"^obj-\$\(CONFIG_IP_SCTP\)\s+\+= sctp/$",
         "obj-$(CONFIG_IP_QUIC)\t\t+= quic/\n", "after"),
    ],
    "handshake": [
        ("net/Kconfig",
         r"^\tdepends on SUNRPC \|\| NVME_TARGET_TCP \|\| NVME_TCP$",
         "\tdepends on SUNRPC || NVME_TARGET_TCP || NVME_TCP || IP_QUIC",
         "replace"),
    ],
    "selftests": [
        ("tools/testing/selftests/Makefile", r"^TARGETS \+= net/ppp$",
         "TARGETS += net/quic\n", "after"),
    ],
    "samples": [
        ("samples/Kconfig", r'^source "samples/rust/Kconfig"$',
         'config SAMPLE_QUIC\n'
         '\ttristate "QUIC kernel consumer sample"\n'
         '\tdepends on IP_QUIC && NET_HANDSHAKE && m\n'
         '\tselect CRC32\n'
         '\thelp\n'
         '\t  Build a module that uses QUIC sockets from the kernel, as SMB\n'
         '\t  or NFS would: an echo server and client whose TLS handshakes\n'
         '\t  a user-space agent (tlshd, or tools/quic/quic-handshaked)\n'
         '\t  does through net/handshake.  Its module parameters choose\n'
         '\t  the role, address, port, ALPN, authentication and keys.\n\n', "before"),
        ("samples/Makefile", r"^obj-\$\(CONFIG_SAMPLE_HUNG_TASK\).*$",
         "obj-$(CONFIG_SAMPLE_QUIC)\t\t+= quic/\n", "after"),
    ],
    "docs": [
        ("Documentation/networking/index.rst", r"^   psp$",
         "   quic\n", "after"),
    ],
}


# --from-base: path -> content being built from the base version
PENDING = {}


def read(tree, path):
    if path in PENDING:
        return PENDING[path]
    with open(os.path.join(tree, path)) as f:
        return f.read()


def write(tree, path, body):
    if FROM_BASE:
        PENDING[path] = body
        return
    with open(os.path.join(tree, path), "w") as f:
        f.write(body)


FROM_BASE = False


def edit(tree, path, anchor, text, where):
    body = read(tree, path)
    if text in body:
        return
    m = re.search(anchor, body, re.M)
    if not m:
        sys.exit(f"glue: anchor {anchor!r} not found in {path}")
    if where == "replace":
        write(tree, path, body[:m.start()] + text + body[m.end():])
        return
    if where == "after":
        pos = m.end() + 1
    else:
        pos = m.start()
    write(tree, path, body[:pos] + text + body[pos:])


def maintainers_entry(tree):
    """Our MAINTAINERS entry, with the F: lines whose paths exist in TREE."""
    with open(os.path.join(REPO, "MAINTAINERS")) as f:
        lines = f.read().strip("\n").splitlines()
    keep = [l for l in lines if not l.startswith("F:\t") or
            os.path.exists(os.path.join(tree, l[3:]))]
    return "\n".join(keep) + "\n"


def maintainers(tree):
    """Put our MAINTAINERS entry, trimmed to TREE, in alphabetical order.

    An older version of the entry is replaced; with no path present yet the
    entry is left out.
    """
    entry = maintainers_entry(tree).strip("\n") + "\n\n"
    title = entry.splitlines()[0]
    body = read(tree, "MAINTAINERS")
    if entry in body:
        return
    if title + "\n" in body:
        start = body.index(title + "\n")
        body = body[:start] + body[body.index("\n\n", start) + 2:]
    lines = body.splitlines(keepends=True)
    if any(l.startswith("F:") for l in entry.splitlines()):
        # Entries are blank-line separated blocks with an upper-case title.
        # The file is sorted only roughly, so look among the titles that
        # share our first letter and insert before the first one after us.
        titles = [i for i in range(1, len(lines))
                  if lines[i - 1].strip() == "" and lines[i][:1] == title[0]
                  and re.match(r"^[A-Z0-9][A-Z0-9 /()&,.+_-]+$",
                               lines[i].rstrip())]
        after = [i for i in titles if lines[i].rstrip() > title]
        at = after[0] if after else titles[-1]
        if not after:
            while lines[at].strip():
                at += 1
            at += 1
        lines.insert(at, entry)
    write(tree, "MAINTAINERS", "".join(lines))


def main():
    global FROM_BASE
    args = sys.argv[1:]
    if args and args[0] == "--from-base":
        FROM_BASE = True
        args = args[1:]
    tree = args[0]
    groups = args[1:] or list(EDITS) + ["maintainers"]
    if FROM_BASE:
        files = {e[0] for g in EDITS.values() for e in g} | {"MAINTAINERS"}
        for path in files:
            PENDING[path] = subprocess.run(
                ["git", "-C", tree, "show", "base:" + path], check=True,
                capture_output=True, text=True).stdout
    for g in groups:
        if g == "maintainers":
            maintainers(tree)
            continue
        for e in EDITS[g]:
            edit(tree, *e)
    for path, body in PENDING.items():
        full = os.path.join(tree, path)
        with open(full) as f:
            if f.read() == body:
                continue
        with open(full, "w") as f:
            f.write(body)


if __name__ == "__main__":
    main()
