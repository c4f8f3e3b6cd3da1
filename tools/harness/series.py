#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The patch series: parse the manifest, list files, generate and check.

  series.py files            paths the series adds (repository relative)
  series.py glue             glue groups the series applies
  series.py generate DIR     write the parts, each with its patches and
                             cover letter, into DIR/part1, DIR/part2...
  series.py check-fresh      series/ is what generate writes
  series.py check-apply      git am of every part in order gives the tree
  series.py checkpatch       checkpatch --strict on every patch
  series.py check-build      every patch builds: gcc W=1 with sparse, clang,
                             i386, =m; no new warning on net/

The manifest groups the patches in parts ("part: COVER-LETTER-FILE"),
posted one after the other, each on top of the previous ones.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(REPO, "build")
sys.path.insert(0, HERE)
import glue  # noqa: E402

DATE = "Sun, 22 Nov 2026 00:00:00 +0000"
# Built by deps.sh: Debian 12's sparse cannot parse this kernel.
SPARSE = os.path.expanduser("~/.cache/quic-sparse/bin/sparse")


def git(*args, cwd=REPO, env=None, check=True):
    r = subprocess.run(["git", *args], cwd=cwd, env=env, check=check,
                       capture_output=True, text=True)
    return r.stdout


def tracked(path):
    """Files under PATH known to git in the repository."""
    out = git("ls-files", "-co", "--exclude-standard", "--", path)
    return sorted(out.split())


MAX_PART = 15	# patches a part may have: netdev's limit per posting


def parse():
    patches = []
    cur = None
    part = None
    with open(os.path.join(HERE, "manifest")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("part: "):
                part = line[6:].strip()
                cur = None
            elif line.startswith("patch: "):
                if part is None:
                    sys.exit("manifest: a patch before the first part:")
                cur = {"subject": line[7:], "files": [], "glue": [],
                       "body": [], "head": True, "part": part}
                patches.append(cur)
            elif cur is None:
                continue
            elif cur["head"] and line.startswith("files: "):
                for p in line[7:].split():
                    files = tracked(p)
                    if not files:
                        sys.exit(f"manifest: {p} is not in git")
                    cur["files"] += files
            elif cur["head"] and line.startswith("glue: "):
                cur["glue"] += line[6:].split()
            elif cur["head"] and line == "":
                cur["head"] = False
            else:
                cur["body"].append(line)
    for p in patches:
        while p["body"] and p["body"][-1] == "":
            p["body"].pop()
    return patches


def parts(patches):
    """[(cover letter file, [patches])] in order."""
    out = []
    for p in patches:
        if not out or out[-1][0] != p["part"]:
            out.append((p["part"], []))
        out[-1][1].append(p)
    for cover, ps in out:
        if len(ps) > MAX_PART:
            sys.exit(f"manifest: {cover}: {len(ps)} patches, "
                     f"more than {MAX_PART}")
    return out


def all_files():
    return [f for p in parse() for f in p["files"]]


def all_glue():
    seen = []
    for p in parse():
        seen += [g for g in p["glue"] if g not in seen]
    return seen + ["maintainers"]


def trim_makefile(text, tree, d):
    """Drop objects whose source is not in TREE yet (earlier patches)."""
    out = []
    composites = set(re.findall(r"^(\w+)-(?:y|objs)\b", text, re.M))
    for line in text.splitlines(keepends=True):
        m = re.match(r"^(\S+\s*[:+]?=\s*)(.*?)(\s*)$", line)
        if not m or ".o" not in m.group(2):
            out.append(line)
            continue
        objs = [o for o in m.group(2).split()
                if not o.endswith(".o") or o[:-2] in composites or
                os.path.exists(os.path.join(tree, d, o[:-2] + ".c"))]
        if any(o.endswith(".o") for o in objs):
            out.append(m.group(1) + " ".join(objs) + "\n")
    return "".join(out)


SELFTESTS = "tools/testing/selftests/net/quic"


def trim_selftests_makefile(text, tree, d):
    """Keep the programs whose source is in TREE yet.

    "VAR += NAME" lines name one program, script or header; rule lines name their
    programs as $(OUTPUT)/NAME targets, and their recipes follow them.  A
    paragraph whose program lines all go goes whole, comments included.
    """
    def present(name):
        base = os.path.join(tree, d, name)
        return any(os.path.exists(base + e) for e in ("", ".c", ".sh"))

    out = []
    for para in text.split("\n\n"):
        kept, programs, any_kept, rule_kept = [], 0, False, True
        for line in para.split("\n"):
            m = re.match(r"^(?:TEST_\w+|LOCAL_HDRS)\s*\+=\s*(\S+)$", line)
            targets = re.findall(r"\$\(OUTPUT\)/(\w+)", line.split(":")[0])
            if line.startswith("\t"):
                if rule_kept:
                    kept.append(line)
                continue
            if m:
                programs += 1
                if present(m.group(1)):
                    kept.append(line)
                    any_kept = True
                continue
            if targets:
                programs += 1
                have = [t for t in targets if present(t)]
                rule_kept = bool(have)
                if have:
                    head, sep, tail = line.partition(":")
                    head = " ".join(f"$(OUTPUT)/{t}" for t in have)
                    kept.append(head + sep + tail)
                    any_kept = True
                continue
            kept.append(line)
        if programs and not any_kept:
            continue
        out.append("\n".join(kept))
    return "\n\n".join(out).rstrip("\n") + "\n"


def sh(cmd, cwd=None, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str),
                       capture_output=True, text=True)
    if r.returncode:
        sys.stdout.write(r.stdout + r.stderr)
        raise SystemExit(f"failed: {cmd}")
    return r.stdout


def fresh_worktree(name):
    base = os.path.join(BUILD, "base")
    path = os.path.join(BUILD, name)
    git("worktree", "prune", cwd=base)
    if not os.path.isdir(path):
        git("worktree", "add", "-q", "--detach", path, "base", cwd=base)
    git("checkout", "-q", "-f", "--detach", "base", cwd=path)
    git("clean", "-q", "-f", "-d", "-x", cwd=path)
    return path


def author():
    """The series is signed by the maintainer our MAINTAINERS entry names,
    whoever runs the harness, so that series/ is the same everywhere."""
    with open(os.path.join(REPO, "MAINTAINERS")) as f:
        m = re.search(r"^M:\t(.*) <(.*)>$", f.read(), re.M)
    return m.group(1), m.group(2)


def generate(outdir):
    outdir = os.path.abspath(outdir)
    patches = parse()
    tree = fresh_worktree("series-work")
    name, email = author()
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE)
    for p in patches:
        for f in p["files"]:
            dst = os.path.join(tree, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(os.path.join(REPO, f), "rb") as src:
                data = src.read()
            with open(dst, "wb") as o:
                o.write(data)
            os.chmod(dst, os.stat(os.path.join(REPO, f)).st_mode & 0o777)
        for g in p["glue"]:
            if g != "maintainers":
                for e in glue.EDITS[g]:
                    glue.edit(tree, *e)
        for d, trim in (("net/quic", trim_makefile),
                        (SELFTESTS, trim_selftests_makefile)):
            mk = os.path.join(d, "Makefile")
            if os.path.exists(os.path.join(tree, mk)):
                with open(os.path.join(REPO, mk)) as f:
                    text = trim(f.read(), tree, d)
                with open(os.path.join(tree, mk), "w") as f:
                    f.write(text)
        glue.maintainers(tree)
        git("add", "-A", "-f", cwd=tree)
        msg = p["subject"] + "\n\n" + "\n".join(p["body"]) + \
            f"\n\nSigned-off-by: {name} <{email}>\n"
        subprocess.run(["git", "commit", "-q", "-F", "-"], input=msg,
                       text=True, cwd=tree, env=env, check=True)
    os.makedirs(outdir, exist_ok=True)
    sh(["rm", "-rf"] + [os.path.join(outdir, f) for f in os.listdir(outdir)
                        if f.endswith(".patch") or f.startswith("part")])
    basever = git("log", "-1", "--format=%s", "base", cwd=tree).strip()
    base = git("rev-parse", "base", cwd=tree).strip()
    revs = git("rev-list", "--reverse", "base..HEAD", cwd=tree).split()
    start = 0
    for n, (cover_file, ps) in enumerate(parts(patches), 1):
        first = revs[start - 1] if start else base
        last = revs[start + len(ps) - 1]
        start += len(ps)
        d = os.path.join(outdir, f"part{n}")
        # --base names the base tree; for a later part git adds the
        # prerequisite-patch-id of each patch of the parts before it.
        git("format-patch", "-q", "--cover-letter", "--no-signature",
            "--subject-prefix=PATCH net-next", "--base=" + base,
            "-o", d, f"{first}..{last}", cwd=tree, env=env)
        cover = os.path.join(d, "0000-cover-letter.patch")
        with open(cover) as f:
            text = f.read()
        with open(os.path.join(HERE, cover_file)) as f:
            subject, _, blurb = f.read().partition("\n\n")
        blurb = blurb.rstrip("\n") + f"\n\nBased on: {basever}.\n"
        text = text.replace("*** SUBJECT HERE ***", subject.strip())
        text = text.replace("*** BLURB HERE ***", blurb.rstrip("\n"))
        with open(cover, "w") as f:
            f.write(text)


def patch_files(d, covers=False):
    """The patches of every part of series directory D, in order."""
    out = []
    for part in sorted((p for p in os.listdir(d) if p.startswith("part")),
                       key=lambda p: int(p[4:])):
        pd = os.path.join(d, part)
        out += sorted(os.path.join(pd, f) for f in os.listdir(pd)
                      if f.endswith(".patch") and
                      (covers or f != "0000-cover-letter.patch"))
    return out


def check_fresh():
    tmp = os.path.join(BUILD, "series-fresh")
    sh(["rm", "-rf", tmp])
    generate(tmp)
    r = subprocess.run(["diff", "-ru", os.path.join(REPO, "series"), tmp],
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stdout[:4000])
        sys.exit("series/ is stale: run 'make series'")
    print("series/ matches the tree")


def applied_tree():
    tree = fresh_worktree("series-am")
    name, email = author()
    env = dict(os.environ, GIT_COMMITTER_NAME=name,
               GIT_COMMITTER_EMAIL=email, GIT_COMMITTER_DATE=DATE)
    pats = patch_files(os.path.join(REPO, "series"))
    sh(["git", "am", "-q", *pats], cwd=tree, env=env)
    return tree, len(pats)


def check_apply():
    tree, n = applied_tree()
    overlay = os.path.join(BUILD, "linux")
    changed = set(git("diff", "--name-only", "base", "HEAD", cwd=tree).split())
    ours = set(all_files())
    glued = set(git("diff", "--name-only", cwd=overlay).split())
    bad = 0
    if changed != ours | glued:
        print("files differ:", sorted(changed ^ (ours | glued)))
        bad = 1
    for f in sorted(changed):
        ref = os.path.join(REPO if f in ours else overlay, f)
        r = subprocess.run(["cmp", ref, os.path.join(tree, f)],
                           capture_output=True, text=True)
        if r.returncode:
            print(f"{f}: differs from the tree")
            bad = 1
    if bad:
        sys.exit(1)
    print(f"{n} patches apply with git am and give the tree's {len(changed)} files")


def covered_by_maintainers(patch):
    """Every file PATCH adds falls under an F: pattern of our entry."""
    with open(os.path.join(REPO, "MAINTAINERS")) as f:
        pats = [l[3:].strip() for l in f if l.startswith("F:")]
    with open(patch) as f:
        added = re.findall(r"^\+\+\+ b/(\S+)\n(?=@@ -0,0 )", f.read(), re.M)
    return all(any(a == p or (p.endswith("/") and a.startswith(p))
                   for p in pats) for a in added)


def checkpatch():
    """checkpatch.pl --strict: no error, warning or check.

    FILE_PATH_CHANGES asks "does MAINTAINERS need updating?" of every patch
    that adds a file.  The harness answers it: the warning is accepted only
    when our MAINTAINERS entry already covers every file the patch adds.
    """
    script = os.path.join(BUILD, "linux", "scripts", "checkpatch.pl")
    bad = 0
    for p in patch_files(os.path.join(REPO, "series")):
        r = subprocess.run([script, "--strict", "--showfile", "--terse", p],
                           cwd=os.path.join(BUILD, "linux"),
                           capture_output=True, text=True)
        found = [l for l in r.stdout.splitlines()
                 if re.search(r": (ERROR|WARNING|CHECK):", l)]
        answered = [l for l in found if "does MAINTAINERS need updating" in l
                    and covered_by_maintainers(p)]
        left = [l for l in found if l not in answered]
        note = " (MAINTAINERS already covers the new files)" if answered else ""
        print(f"{os.path.basename(p)}: {len(left)} problems{note}")
        for l in left:
            print("   ", l)
        if left or r.returncode and not answered:
            bad = 1
    if bad:
        sys.exit("checkpatch: errors, warnings or checks")


# The builds netdev's patchwork CI runs on every patch: gcc with sparse,
# clang, 32-bit, and the protocol as a module. Each has its own object
# directory; only net/quic/ is built in all but the first.
VARIANTS = (
    # name, make arguments, drop from the fragment, add to the fragment
    ("gcc", ["CC=ccache gcc"], (), ()),
    ("clang", ["LLVM=-19", "CC=ccache clang-19"], (), ()),
    ("i386", ["ARCH=i386", "CC=ccache gcc"], ("CONFIG_64BIT=",), ()),
    ("m", ["CC=ccache gcc"], (),
     ("CONFIG_IP_QUIC=m", "CONFIG_IP_QUIC_KUNIT_TEST=m")),
)


def variant_fragment(obj, drop, add):
    text = ""
    for c in ("tools/harness/base.config", "Kconfig.quic"):
        with open(os.path.join(REPO, c)) as i:
            text += "".join(l for l in i if not l.startswith(drop))
    frag = os.path.join(obj, "quic.fragment")
    with open(frag, "w") as f:
        f.write(text + "".join(a + "\n" for a in add))
    return frag


def warnings(stderr):
    return [l for l in stderr.splitlines() if "warning:" in l or "error:" in l]


def warning_keys(lines):
    """Warnings without their line and column: a patch that moves code
    above a known warning does not make it new."""
    return {re.sub(r":\d+:\d+:", ":", l) for l in lines}


def check_build():
    tree, n = applied_tree()
    env = dict(os.environ, CCACHE_DIR=os.environ.get(
        "CCACHE_DIR", os.path.expanduser("~/.cache/quic-ccache")),
        CCACHE_BASEDIR=BUILD,
        KBUILD_BUILD_TIMESTAMP="Sun Nov 22 00:00:00 UTC 2026")
    if not os.access(SPARSE, os.X_OK):
        sys.exit(f"check-build: no sparse at {SPARSE}: "
                 "run tools/harness/deps.sh")
    builds = []
    for name, args, drop, add in VARIANTS:
        obj = os.path.join(BUILD, "obj-series" if name == "gcc"
                           else "obj-series-" + name)
        os.makedirs(obj, exist_ok=True)
        frag = variant_fragment(obj, drop, add)
        mk = ["make", "-s", f"-j{os.cpu_count()}", "-C", tree, "O=" + obj,
              "HOSTCC=ccache gcc", *args]
        builds.append((name, obj, frag, mk))

    # The base's warnings on net/ as a whole (gcc W=1): at the end, a file
    # the series makes rebuild may not warn anew.
    gcc = builds[0]
    sh(gcc[3] + ["KCONFIG_ALLCONFIG=" + gcc[2], "allnoconfig"], env=env)
    r = subprocess.run(gcc[3] + ["W=1", "net/"], env=env,
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stdout[-3000:] + r.stderr[-3000:])
        sys.exit("check-build: the base does not build net/")
    base_warn = warning_keys(warnings(r.stderr))
    print(f"base: make W=1 net/: {len(base_warn)} warnings")

    revs = git("rev-list", "--reverse", "base..HEAD", cwd=tree).split()
    configured = set()
    for i, rev in enumerate(revs, 1):
        git("checkout", "-q", rev, cwd=tree)
        subj = git("log", "-1", "--format=%s", cwd=tree).strip()
        has_quic = os.path.isdir(os.path.join(tree, "net/quic"))
        # The configuration again only where a Kconfig file changed:
        # make's own syncconfig would give new options their defaults.
        changed = git("diff", "--name-only", rev + "~1", rev, cwd=tree).split()
        reconfig = i == 1 or any("Kconfig" in os.path.basename(f)
                                 for f in changed)
        done = []
        for name, obj, frag, mk in builds:
            if name != "gcc" and not has_quic:
                continue
            if reconfig or name not in configured:
                sh(mk + ["KCONFIG_ALLCONFIG=" + frag, "allnoconfig"], env=env)
                configured.add(name)
            build_patch(name, obj, mk, env, has_quic, subj)
            done.append(name)
        print(f"{i}/{len(revs)} {subj}: {' '.join(done)}: ok")

    r = subprocess.run(gcc[3] + ["W=1", "net/"], env=env,
                       capture_output=True, text=True)
    new = sorted(warning_keys(warnings(r.stderr)) - base_warn)
    if r.returncode or new:
        print(r.stdout[-3000:] + "\n".join(new))
        sys.exit("check-build: the series adds warnings on net/ (W=1)")
    print("series: make W=1 net/: no new warning against the base")


def build_patch(name, obj, mk, env, has_quic, subj):
    """One patch in one variant: W=1 and no warning; with gcc, also sparse,
    the exported headers and the link check."""
    if name == "gcc":
        # net/quic/ with sparse once it exists; before, what the glue
        # touches, and always the exported uapi headers.
        target = ["headers"] + (["C=1", "CHECK=" + SPARSE, "net/quic/"]
                                if has_quic else ["net/socket.o"])
    else:
        target = ["net/quic/"]
    r = subprocess.run(mk + ["W=1"] + target, env=env,
                       capture_output=True, text=True)
    out = r.stdout + r.stderr
    # The kernel skips C=1 with only a make warning when the checker
    # fails scripts/checker-valid.sh: a check that did not run fails.
    if "not available or not up to date" in out:
        print(out[-3000:])
        sys.exit(f"check-build: sparse ({SPARSE}) was skipped")
    if r.returncode or warnings(r.stderr):
        print(r.stdout[-3000:] + r.stderr[-3000:])
        sys.exit(f"check-build: {subj}: make W=1 {' '.join(target)} "
                 f"({name}) failed or warned")
    if name != "gcc" or not has_quic:
        return
    archive = os.path.join(obj, "net/quic/built-in.a")
    if not os.path.exists(archive):
        sys.exit(f"check-build: {subj}: no {archive} to check the links of")
    missing = unresolved_quic_symbols(archive)
    if missing:
        sys.exit(f"check-build: {subj}: calls what later patches add: "
                 + ", ".join(missing))


def unresolved_quic_symbols(archive):
    """The quic_* symbols net/quic's objects use but none of them defines:
    a patch whose code calls into a later one would not link."""
    out = subprocess.run(["nm", archive], capture_output=True, text=True,
                         check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] not in "Uw":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            used.add(f[1])
    return sorted(x for x in used - defined if x.startswith("quic"))


def main():
    cmd = sys.argv[1]
    if cmd == "files":
        print("\n".join(all_files()))
    elif cmd == "glue":
        print(" ".join(all_glue()))
    elif cmd == "generate":
        generate(sys.argv[2] if len(sys.argv) > 2 else
                 os.path.join(REPO, "series"))
    elif cmd == "check-fresh":
        check_fresh()
    elif cmd == "check-apply":
        check_apply()
    elif cmd == "checkpatch":
        checkpatch()
    elif cmd == "check-build":
        check_build()
    else:
        sys.exit(f"series.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
