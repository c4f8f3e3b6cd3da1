#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Consistency check of socket_quic.txt against the QUIC uapi header.

1. Every QUIC_SOCKOPT_* of include/uapi/linux/quic.h has a setsockopt$ and a
   getsockopt$ description for both families, or a "no ...:" comment; the
   directions described are exactly those quic_do_setsockopt() and
   quic_do_getsockopt() in net/quic/sockopt.c handle.
2. Every structure named after a C struct or union of the header has its
   sizeof() and the offsetof() of every field, as the C compiler sees them;
   every struct or union of the header is described.
3. Syntax sanity: balanced brackets, every name referenced is defined here or
   a known syzkaller builtin/external, every name defined is used, every
   constant named resolves in the compiled program, the IPv6 calls mirror
   the IPv4 ones.

It also writes socket_quic.txt.const, as syz-extract would.
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
DESC = os.environ.get('QUIC_SYZ_DESC', os.path.join(HERE, 'socket_quic.txt'))
HDR = os.path.join(ROOT, 'include', 'uapi', 'linux', 'quic.h')
SOCKET_C = os.path.join(ROOT, 'net', 'quic', 'sockopt.c')
USR_INC = os.environ.get('QUIC_USR_INCLUDE', os.path.join(ROOT, 'build', 'obj', 'usr', 'include'))

INTS = {'int8': 1, 'int16': 2, 'int32': 4, 'int64': 8, 'intptr': 8,
        'int16be': 2, 'int32be': 4, 'int64be': 8}
BASED = {'const', 'flags', 'len', 'bytesize', 'bitsize', 'fileoff'}
BUILTIN_TYPES = set(INTS) | BASED | {'array', 'ptr', 'ptr64', 'buffer', 'string',
                                     'stringnoz', 'void'}
KEYWORDS = {'in', 'out', 'inout', 'opt', 'parent', 'packed', 'varlen', 'align'}
# Defined in other syzkaller files (sys/linux/{sys,socket_inet,socket_inet6}.txt).
EXTERNAL_RES = {'fd': None, 'sock_in': 'fd', 'sock_in6': 'fd'}
EXTERNAL_TYPES = {'sockaddr_in', 'sockaddr_in6', 'timespec'}
BUILTIN_CONSTS = {'PTR_SIZE': 8}

errors = []


def err(msg):
    errors.append(msg)


class Node:
    def __init__(self, name, args=None, colon=None):
        self.name, self.args, self.colon = name, args or [], colon

    def __repr__(self):
        s = self.name
        if self.args:
            s += '[' + ', '.join(map(repr, self.args)) + ']'
        if self.colon is not None:
            s += ':' + repr(self.colon)
        return s


TOK = re.compile(r'\s*(0x[0-9a-fA-F]+|-?\d+|"[^"]*"|[A-Za-z_][A-Za-z0-9_$]*|[\[\],:()])')


def tokenize(s):
    pos, out = 0, []
    s = s.rstrip()
    while pos < len(s):
        m = TOK.match(s, pos)
        if not m:
            raise ValueError('bad token at %r' % s[pos:])
        out.append(m.group(1))
        pos = m.end()
    return out


def parse_expr(toks, i):
    name = toks[i]
    i += 1
    node = Node(name)
    if i < len(toks) and toks[i] == '[':
        i += 1
        while True:
            arg, i = parse_expr(toks, i)
            node.args.append(arg)
            if toks[i] == ',':
                i += 1
                continue
            if toks[i] == ']':
                i += 1
                break
            raise ValueError('expected , or ] got %r' % toks[i])
    if i < len(toks) and toks[i] == ':':
        node.colon, i = parse_expr(toks, i + 1)
    return node, i


def parse_type(s):
    toks = tokenize(s)
    node, i = parse_expr(toks, 0)
    attrs = toks[i:]
    return node, attrs


def is_num(s):
    return re.fullmatch(r'-?\d+|0x[0-9a-fA-F]+', s) is not None


def num(s):
    return int(s, 0)


# ---------------------------------------------------------------- parsing

class Desc:
    def __init__(self, text):
        self.text = text
        self.resources = {}
        self.flags = {}
        self.strflags = {}
        self.types = {}       # name -> (kind, params, fields, attrs)
        self.calls = []       # (name, [(argname, Node)], ret)
        self.comments = []
        self.lineno = {}
        self.parse()

    def parse(self):
        lines = self.text.split('\n')
        depth_check(lines)
        i = 0
        while i < len(lines):
            line = lines[i]
            ln = i + 1
            i += 1
            if not line.strip():
                continue
            if line.startswith('#'):
                self.comments.append(line)
                continue
            if line.startswith('include '):
                continue
            m = re.match(r'resource (\w+)\[(\w+)\]$', line)
            if m:
                self.define(m.group(1), ln)
                self.resources[m.group(1)] = m.group(2)
                continue
            m = re.match(r'(\w+) = (.*)$', line)
            if m:
                self.define(m.group(1), ln)
                vals = [v.strip() for v in
                        re.findall(r'\s*("[^"]*"|[^,]+)\s*(?:,|$)', m.group(2))]
                if all(v.startswith('"') for v in vals):
                    self.strflags[m.group(1)] = vals
                elif any(v.startswith('"') for v in vals):
                    err('line %d: mixed string/int flags' % ln)
                else:
                    self.flags[m.group(1)] = vals
                continue
            m = re.match(r'(type )?(\w+)(\[[\w, ]+\])? ([{\[])$', line)
            if m:
                name = m.group(2)
                params = [p.strip() for p in m.group(3)[1:-1].split(',')] if m.group(3) else []
                kind = 'struct' if m.group(4) == '{' else 'union'
                close = '}' if kind == 'struct' else ']'
                fields = []
                while True:
                    fl = lines[i]
                    i += 1
                    if fl.startswith(close):
                        attrs = fl[1:].strip()
                        break
                    if not fl.strip() or fl.strip().startswith('#'):
                        continue
                    fm = re.match(r'\t(\w+)\s+(.*)$', fl)
                    if not fm:
                        err('line %d: bad field %r' % (i, fl))
                        continue
                    try:
                        t, fattrs = parse_type(fm.group(2))
                    except (ValueError, IndexError) as e:
                        err('line %d: %s' % (i, e))
                        continue
                    fields.append((fm.group(1), t, fattrs))
                self.define(name, ln)
                self.types[name] = (kind, params, fields, attrs)
                names = [f[0] for f in fields]
                if len(set(names)) != len(names):
                    err('%s: duplicate field names' % name)
                continue
            m = re.match(r'(\w+\$\w+)\((.*)\)( \w+)?$', line)
            if m:
                args = []
                for a in split_top(m.group(2)):
                    am = re.match(r'(\w+) (.*)$', a.strip())
                    try:
                        t, _ = parse_type(am.group(2))
                    except (ValueError, IndexError, AttributeError) as e:
                        err('line %d: %s' % (ln, e))
                        continue
                    args.append((am.group(1), t))
                self.define(m.group(1), ln)
                self.calls.append((m.group(1), args, (m.group(3) or '').strip() or None))
                continue
            err('line %d: unparsed: %r' % (ln, line))

    def define(self, name, ln):
        if name in self.lineno:
            err('line %d: %s already defined at line %d' % (ln, name, self.lineno[name]))
        self.lineno[name] = ln


def split_top(s):
    out, depth, cur = [], 0, ''
    for c in s:
        if c == '[':
            depth += 1
        elif c == ']':
            depth -= 1
        if c == ',' and depth == 0:
            out.append(cur)
            cur = ''
        else:
            cur += c
    if cur.strip():
        out.append(cur)
    return out


def depth_check(lines):
    block = None
    for n, line in enumerate(lines, 1):
        if line.startswith('#'):
            continue
        code = re.sub(r'"[^"]*"', '""', line)
        for o, c in ('[]', '()'):
            if code.count(o) != code.count(c):
                # a union opens with "name [" and closes with "] [attrs]"
                if not (re.match(r'(type )?\w+(\[[\w, ]+\])? \[$', code) or
                        re.match(r'\](\s*\[.*\])?$', code)):
                    err('line %d: unbalanced %s%s' % (n, o, c))
        if re.match(r'(type )?\w+(\[[\w, ]+\])? [{\[]$', code):
            if block:
                err('line %d: block opened inside block of line %d' % (n, block))
            block = n
        elif re.match(r'[}\]]', code):
            if not block:
                err('line %d: close without open' % n)
            block = None
    if block:
        err('block of line %d never closed' % block)


# ---------------------------------------------------------------- references

def walk_refs(d, node, params, consts, used, ctx):
    """Record the names @node references; constants go to @consts."""
    n = node.name
    if is_num(n) or n.startswith('"'):
        pass
    elif n in params or n in KEYWORDS:
        pass
    elif n in BUILTIN_TYPES:
        if n in ('const',):
            c = node.args[0].name
            if not is_num(c) and c not in params:
                consts.add(c)
            for a in node.args[1:]:
                walk_refs(d, a, params, consts, used, ctx)
            node = None
        elif n in ('flags', 'string', 'stringnoz'):
            f = node.args[0].name
            if f not in d.flags and f not in d.strflags:
                err('%s: unknown flags %s' % (ctx, f))
            used.add(f)
            for a in node.args[1:]:
                walk_refs(d, a, params, consts, used, ctx)
            node = None
        elif n in ('len', 'bytesize', 'bitsize'):
            for a in node.args[1:]:
                walk_refs(d, a, params, consts, used, ctx)
            node = None
        elif n == 'array' and len(node.args) > 1:
            walk_refs(d, node.args[0], params, consts, used, ctx)
            for a in (node.args[1], node.args[1].colon):
                if a is not None and not is_num(a.name):
                    consts.add(a.name)
            node = None
    elif n in d.types or n in d.resources:
        used.add(n)
    elif n in EXTERNAL_TYPES or n in EXTERNAL_RES:
        pass
    elif re.fullmatch(r'[A-Z][A-Z0-9_]*', n):
        consts.add(n)
    else:
        err('%s: unknown name %s' % (ctx, n))
    if node is not None:
        for a in node.args:
            walk_refs(d, a, params, consts, used, ctx)
        if node.colon is not None and not is_num(node.colon.name):
            walk_refs(d, node.colon, params, consts, used, ctx)


def collect(d):
    consts, used = set(), set()
    for name, (kind, params, fields, attrs) in d.types.items():
        for fname, t, fattrs in fields:
            walk_refs(d, t, set(params), consts, used, name + '.' + fname)
        for c in re.findall(r'align\[(\w+)\]', attrs):
            if not is_num(c):
                consts.add(c)
    for name, args, ret in d.calls:
        for an, t in args:
            walk_refs(d, t, set(), consts, used, name + ':' + an)
        if ret:
            if ret not in d.resources and ret not in EXTERNAL_RES:
                err('%s: unknown return resource %s' % (name, ret))
            used.add(ret)
        consts.add('__NR_' + name.split('$')[0])
    for r, base in d.resources.items():
        if base not in d.resources and base not in EXTERNAL_RES:
            err('resource %s: unknown parent %s' % (r, base))
    for f, vals in d.flags.items():
        for v in vals:
            if not is_num(v):
                consts.add(v)
    for name in list(d.types) + list(d.flags) + list(d.strflags) + list(d.resources):
        if name not in used:
            err('%s defined but never used' % name)
    return consts


# ---------------------------------------------------------------- the C side

def header_aggregates():
    text = open(HDR).read()
    out = {}
    for m in re.finditer(r'^(struct|union) (\w+) \{(.*?)^\};', text, re.M | re.S):
        fields = []
        for fm in re.finditer(r'^\s*(?:__\w+|struct \w+)\s+(\w+)(\[\w+\])?;', m.group(3), re.M):
            fields.append(fm.group(1))
        out[m.group(2)] = (m.group(1), fields)
    sockopts = re.findall(r'^#define (QUIC_SOCKOPT_\w+)\s', text, re.M)
    return out, sockopts


def run_c(consts, aggs, size_exprs):
    prog = ['#define _GNU_SOURCE', '#include <stdio.h>', '#include <stddef.h>',
            '#include <fcntl.h>', '#include <sys/socket.h>', '#include <sys/syscall.h>', '#include <linux/in.h>',
            '#include <linux/tls.h>', '#include <linux/quic.h>', '',
            'int main(void)', '{']
    for c in sorted(consts):
        prog.append('\tprintf("const %s %%llu\\n", (unsigned long long)(%s));' % (c, c))
    for name, (kind, fields) in sorted(aggs.items()):
        prog.append('\tprintf("sizeof %s %%zu\\n", sizeof(%s %s));' % (name, kind, name))
        for f in fields:
            prog.append('\tprintf("offsetof %s %s %%zu\\n", offsetof(%s %s, %s));'
                        % (name, f, kind, name, f))
            prog.append('\tprintf("fieldsize %s %s %%zu\\n", sizeof(((%s %s *)0)->%s));'
                        % (name, f, kind, name, f))
    for name, expr in sorted(size_exprs.items()):
        prog.append('\tprintf("sizeof %s %%zu\\n", (size_t)(%s));' % (name, expr))
    prog += ['\treturn 0;', '}', '']
    tmp = tempfile.mkdtemp(prefix='quic-syz-')
    src = os.path.join(tmp, 'consts.c')
    exe = os.path.join(tmp, 'consts')
    with open(src, 'w') as f:
        f.write('\n'.join(prog))
    if os.environ.get('QUIC_SYZ_KEEP_C'):
        with open(os.environ['QUIC_SYZ_KEEP_C'], 'w') as f:
            f.write('\n'.join(prog))
    r = subprocess.run(['gcc', '-Wall', '-O0', '-isystem', USR_INC, src, '-o', exe],
                       capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write(r.stderr)
        sys.exit('consts.c does not compile against %s' % USR_INC)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    res = {'const': {}, 'sizeof': {}, 'offsetof': {}, 'fieldsize': {}}
    for line in out.splitlines():
        p = line.split()
        if p[0] in ('offsetof', 'fieldsize'):
            res[p[0]][(p[1], p[2])] = int(p[3])
        else:
            res[p[0]][p[1]] = int(p[2])
    for f in (src, exe):
        os.unlink(f)
    os.rmdir(tmp)
    return res


# ---------------------------------------------------------------- layouts

class Varlen(Exception):
    pass


def resolve(d, node, env):
    while node.name in env:
        node = env[node.name]
    return node


def base_int(d, node, env):
    """(size, bits) of a type used as a scalar; bits is None unless a bitfield."""
    node = resolve(d, node, env)
    n = node.name
    if n in INTS:
        return INTS[n], (num(node.colon.name) if node.colon is not None else None)
    if n in BASED:
        if n == 'fileoff':
            return base_int(d, node.args[0], env)
        return base_int(d, node.args[-1] if len(node.args) > 1 else Node('intptr'), env)
    r = n
    while r in d.resources:
        r = d.resources[r]
    if r in EXTERNAL_RES:
        return 4, None
    return None


def layout(d, node, env, consts):
    """(size, align) of a type inside a struct; raises Varlen."""
    node = resolve(d, node, env)
    n = node.name
    bi = base_int(d, node, env)
    if bi:
        return bi[0], bi[0]
    if n in ('ptr', 'ptr64', 'buffer'):
        return 8, 8
    if n in ('string', 'stringnoz'):
        raise Varlen()
    if n == 'void':
        return 0, 1
    if n == 'array':
        if len(node.args) < 2:
            raise Varlen()
        a = node.args[1]
        lo = value(a, consts)
        hi = value(a.colon, consts) if a.colon is not None else lo
        if lo != hi:
            raise Varlen()
        s, al = layout(d, node.args[0], env, consts)
        return s * lo, al
    if n in d.types:
        return agg_layout(d, n, [resolve(d, a, env) for a in node.args], consts)[:2]
    if n in EXTERNAL_TYPES:
        raise Varlen()
    raise ValueError('cannot size %r' % node)


def value(node, consts):
    if is_num(node.name):
        return num(node.name)
    if node.name in BUILTIN_CONSTS:
        return BUILTIN_CONSTS[node.name]
    return consts[node.name]


def agg_layout(d, name, targs, consts):
    """(size, align, {field: offset}, {field: size}) of a struct or union."""
    kind, params, fields, attrs = d.types[name]
    env = dict(zip(params, targs))
    packed = 'packed' in attrs
    if 'varlen' in attrs:
        raise Varlen()
    off, maxal, offs, sizes = 0, 1, {}, {}
    bit_unit = None          # (offset, size, bits used)
    for fname, t, _ in fields:
        bi = base_int(d, t, env)
        if kind == 'struct' and bi and bi[1] is not None:
            size, bits = bi
            if bit_unit and bit_unit[1] == size and bit_unit[2] + bits <= size * 8:
                offs[fname] = bit_unit[0]
                bit_unit = (bit_unit[0], size, bit_unit[2] + bits)
                continue
            al = 1 if packed else size
            off = (off + al - 1) // al * al
            offs[fname] = off
            bit_unit = (off, size, bits)
            off += size
            maxal = max(maxal, al)
            continue
        bit_unit = None
        size, al = layout(d, t, env, consts)
        sizes[fname] = size
        if packed:
            al = 1
        maxal = max(maxal, al)
        if kind == 'union':
            offs[fname] = 0
            off = max(off, size)
        else:
            off = (off + al - 1) // al * al
            offs[fname] = off
            off += size
    m = re.search(r'align\[(\w+)\]', attrs)
    if m:
        maxal = value(Node(m.group(1)), consts)
    off = (off + maxal - 1) // maxal * maxal
    return off, maxal, offs, sizes


# ---------------------------------------------------------------- checks

def handled_options(func):
    text = open(SOCKET_C).read()
    m = re.search(r'^int %s\(.*?^}$' % func, text, re.M | re.S)
    if not m:
        err('%s not found in %s' % (func, SOCKET_C))
        return set()
    body = m.group(0)
    # Every case label has its own handler; only "default:" gives
    # ENOPROTOOPT, so a label means the direction exists.
    return set(re.findall(r'case (QUIC_SOCKOPT_\w+):', body))


def check_options(d, sockopts):
    calls = {c[0]: c for c in d.calls}
    comments = '\n'.join(d.comments)
    kset = handled_options('quic_do_setsockopt')
    kget = handled_options('quic_do_getsockopt')
    for opt in sockopts:
        short = opt[len('QUIC_SOCKOPT_'):]
        for prefix in ('QUIC_SOCKOPT', 'inet6_QUIC_SOCKOPT'):
            for direction, kernel in (('setsockopt', kset), ('getsockopt', kget)):
                cname = '%s$%s_%s' % (direction, prefix, short)
                declared = cname in calls
                if declared:
                    args = dict(calls[cname][1])
                    if repr(args.get('level')) != 'const[SOL_QUIC]' or \
                       repr(args.get('opt')) != 'const[%s]' % opt:
                        err('%s: level/opt are %r/%r' % (cname, args.get('level'), args.get('opt')))
                elif not re.search(r'^# no %s:' % re.escape(cname), comments, re.M):
                    err('%s missing and no "# no %s:" comment' % (cname, cname))
                if declared != (opt in kernel):
                    err('%s: described=%s but the kernel %s it' %
                        (cname, declared, 'handles' if opt in kernel else 'does not handle'))
    for cname in calls:
        m = re.match(r'[sg]etsockopt\$(?:inet6_)?(QUIC_SOCKOPT_\w+)$', cname)
        if m and m.group(1) not in sockopts:
            err('%s: no such option in quic.h' % cname)


def check_mirror(d):
    v4 = {c[0]: repr(c[1]) + str(c[2]) for c in d.calls}
    n = 0
    for name, sig in v4.items():
        if 'inet6' in name:
            continue
        if '$inet_quic' in name:
            n6 = name.replace('$inet_quic', '$inet6_quic')
        else:
            n6 = name.replace('$QUIC_SOCKOPT', '$inet6_QUIC_SOCKOPT')
        want = sig.replace('sock_quic', 'sock_quic6').replace('sockaddr_in', 'sockaddr_in6') \
                  .replace('AF_INET', 'AF_INET6')
        if v4.get(n6) != want:
            err('%s has no identical IPv6 twin %s' % (name, n6))
        n += 1
    return n


def check_structure(d, consts):
    """Rules of syzkaller's compiler the layouts depend on."""
    for name, (kind, params, fields, attrs) in d.types.items():
        env = {p: Node('int8') for p in params}
        for i, (fname, t, _) in enumerate(fields):
            if t.name == 'array' and len(t.args) > 1:
                a = t.args[1]
                hi = a.colon if a.colon is not None else a
                if is_num(hi.name) and num(hi.name) == 0:
                    err('%s.%s: arrays of size 0 are not supported' % (name, fname))
            if t.name in params:
                continue
            try:
                layout(d, t, env, consts)
            except Varlen:
                if kind == 'union' and 'varlen' not in attrs:
                    err('%s.%s: variable size field in non-varlen union' % (name, fname))
                if kind == 'struct' and 'packed' not in attrs and i != len(fields) - 1:
                    err('%s.%s: variable size field in the middle of a non-packed struct'
                        % (name, fname))
    for name, vals in d.flags.items():
        seen = {}
        for v in vals:
            x = num(v) if is_num(v) else consts.get(v)
            if x in seen:
                err('flags %s: %s and %s are both %d' % (name, seen[x], v, x))
            seen[x] = v
    for name, vals in d.strflags.items():
        if '""' in vals:
            err('string flags %s: empty string' % name)


def main():
    d = Desc(open(DESC).read())
    consts = collect(d)
    aggs, sockopts = header_aggregates()
    size_exprs = dict(re.findall(r'^# check-size: (\w+) = (.*)$', d.text, re.M))
    c = run_c(consts - set(BUILTIN_CONSTS), aggs, size_exprs)

    check_structure(d, c['const'])
    check_options(d, sockopts)
    ncalls = check_mirror(d)

    nsized = 0
    for name, (kind, fields) in aggs.items():
        if name not in d.types:
            err('%s %s of quic.h is not described' % (kind, name))
            continue
        dk, params, dfields, _ = d.types[name]
        if dk != kind:
            err('%s is a %s in C, a %s here' % (name, kind, dk))
        if [f[0] for f in dfields] != fields:
            err('%s fields %s != C %s' % (name, [f[0] for f in dfields], fields))
        try:
            size, _, offs, sizes = agg_layout(d, name, [], c['const'])
        except Varlen:
            err('%s is variable-length here' % name)
            continue
        if size != c['sizeof'][name]:
            err('%s: size %d here, %d in C' % (name, size, c['sizeof'][name]))
        for f, o in offs.items():
            co = c['offsetof'].get((name, f))
            if co is not None and co != o:
                err('%s.%s: offset %d here, %d in C' % (name, f, o, co))
            cs = c['fieldsize'].get((name, f))
            if cs is not None and cs != sizes.get(f):
                err('%s.%s: size %s here, %d in C' % (name, f, sizes.get(f), cs))
        nsized += 1
    for name in size_exprs:
        size = agg_layout(d, name, [], c['const'])[0]
        if size != c['sizeof'][name]:
            err('%s: size %d here, %d in C (%s)' % (name, size, c['sizeof'][name], size_exprs[name]))
        nsized += 1

    const_file = DESC + '.const'
    with open(const_file, 'w') as f:
        f.write('# Code generated by tools/quic/syzkaller/check.py from the uapi headers.\n')
        f.write('arches = amd64\n')
        for k in sorted(c['const']):
            f.write('%s = %d\n' % (k, c['const'][k]))

    nset = sum(1 for x in d.calls if x[0].startswith('setsockopt$'))
    nget = sum(1 for x in d.calls if x[0].startswith('getsockopt$'))
    print('options in quic.h: %d (%s)' % (len(sockopts), ', '.join(o[13:] for o in sockopts)))
    print('kernel handles: set %d, get %d' % (len(handled_options('quic_do_setsockopt')),
                                              len(handled_options('quic_do_getsockopt'))))
    print('described: %d calls (%d setsockopt, %d getsockopt), %d IPv4 calls mirrored for IPv6'
          % (len(d.calls), nset, nget, ncalls))
    print('types: %d structs/unions, %d flags, %d string flags, %d resources'
          % (len(d.types), len(d.flags), len(d.strflags), len(d.resources)))
    print('layouts compared with the compiler: %d (sizes and %d field offsets)'
          % (nsized, len(c['offsetof'])))
    for name in sorted(aggs):
        print('  %-28s %3d bytes' % (name, c['sizeof'][name]))
    for name in sorted(size_exprs):
        print('  %-28s %3d bytes (%s)' % (name, c['sizeof'][name], size_exprs[name]))
    print('constants: %d, written to %s' % (len(c['const']), os.path.relpath(const_file, ROOT)))
    if errors:
        for e in errors:
            print('ERROR: ' + e)
        print('FAIL: %d error(s)' % len(errors))
        return 1
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
