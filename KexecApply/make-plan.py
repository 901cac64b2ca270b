#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes kexec plan files (docs/plan-file.md, version 1) for testing kexec-apply.

    make-plan.py OUT [--machine N] [--big-endian] [--segments N] [--entry X]
                     [--flags X] [--mem-base X] [--set FIELD=VALUE]...
                     [--seg I.FIELD=VALUE]... [--truncate N] [--append N]
                     [--mutate SEED] [--fuzz N] [--expect FILE]
    make-plan.py --batch FILE    one plan per line of FILE, arguments as above
                                 separated by tabs (saves interpreter starts)

The plan is built correctly first (segment bytes after the descriptors, each at
an 8-byte aligned offset, file size field = real size); then --set and --seg
overwrite single fields (header fields: magic, version, header_size, machine,
reserved20, flags, count, bom, entry, file_size, reserved56; descriptor fields:
mem, memsz, offset, bufsz), --truncate/--append change the length without fixing
the size field, and --mutate flips a few random bytes of the header and the
descriptors. --fuzz N writes N such corrupted plans, OUT.1 to OUT.N (seeds
derived from N and the segment count). --expect writes the lines `kexec-apply --check` prints after its
first line, computed from the final fields.
"""

import argparse
import random
import struct
import sys

HEADER_SIZE = 64
DESCRIPTOR_SIZE = 32
PAGE = 0x1000

# name: (offset, size)
HEADER_FIELDS = {
    "magic": (0, 8),
    "version": (8, 4),
    "header_size": (12, 4),
    "machine": (16, 4),
    "reserved20": (20, 4),
    "flags": (24, 8),
    "count": (32, 4),
    "bom": (36, 4),
    "entry": (40, 8),
    "file_size": (48, 8),
    "reserved56": (56, 8),
}
DESCRIPTOR_FIELDS = {"mem": (0, 8), "memsz": (8, 8), "offset": (16, 8), "bufsz": (24, 8)}


def number(text):
    return int(text, 0)


def align8(value):
    return (value + 7) & ~7


def segment_layout(count, mem_base):
    """A varied but valid set of (mem, memsz, bufsz): page-aligned, disjoint,
    bufsz <= memsz, bufsz not always a multiple of 8, one empty buffer."""
    segments = []
    mem = mem_base
    for i in range(count):
        memsz = ((i % 3) + 1) * PAGE
        bufsz = memsz - (i * 0x1D) % 0x400
        if i == 5:
            bufsz = 0  # memory the kernel only zero-fills
        segments.append((mem, memsz, bufsz))
        mem += memsz + (i % 2) * PAGE  # gaps between some segments
    return segments


def build(args):
    order = ">" if args.big_endian else "<"
    u32 = lambda v: struct.pack(order + "I", v & 0xFFFFFFFF)
    u64 = lambda v: struct.pack(order + "Q", v & 0xFFFFFFFFFFFFFFFF)

    layout = segment_layout(args.segments, args.mem_base)
    offset = align8(HEADER_SIZE + DESCRIPTOR_SIZE * len(layout))
    descriptors = b""
    payload = b""
    for index, (mem, memsz, bufsz) in enumerate(layout):
        padding = offset - (HEADER_SIZE + DESCRIPTOR_SIZE * len(layout)) - len(payload)
        payload += b"\0" * padding
        payload += bytes((index * 7 + k) & 0xFF for k in range(bufsz))
        descriptors += u64(mem) + u64(memsz) + u64(offset) + u64(bufsz)
        offset = align8(offset + bufsz)
    size = HEADER_SIZE + len(descriptors) + len(payload)

    header = (b"KXPLAN01" + u32(1) + u32(HEADER_SIZE) + u32(args.machine) + u32(0)
              + u64(args.flags) + u32(len(layout)) + u32(0x01020304) + u64(args.entry)
              + u64(size) + u64(0))
    assert len(header) == HEADER_SIZE
    data = bytearray(header + descriptors + payload)

    for item in args.set:
        name, _, value = item.partition("=")
        where, width = HEADER_FIELDS[name]
        if name == "magic":
            data[where:where + width] = value.encode().ljust(width, b"\0")[:width]
        else:
            data[where:where + width] = (u32 if width == 4 else u64)(number(value))
    for item in args.seg:
        target, _, value = item.partition("=")
        index, _, name = target.partition(".")
        where, width = DESCRIPTOR_FIELDS[name]
        start = HEADER_SIZE + DESCRIPTOR_SIZE * int(index) + where
        if start + width > len(data):
            data.extend(b"\0" * (start + width - len(data)))
        data[start:start + width] = u64(number(value))
    if args.mutate is not None:
        rng = random.Random(args.mutate)
        table_end = min(len(data), HEADER_SIZE + DESCRIPTOR_SIZE * len(layout))
        for _ in range(rng.randint(1, 4)):
            spot = rng.randrange(table_end)
            data[spot] = rng.choice([0, 0xFF, 1, 0x80, rng.randrange(256)])
    if args.truncate is not None:
        del data[args.truncate:]
    data.extend(b"\xAA" * args.append)
    return bytes(data), order


def expected_summary(data, order):
    """What kexec-apply --check prints after its first line, for a valid plan."""
    flags, count, _, entry = struct.unpack_from(order + "QIIQ", data, 24)
    lines = ["entry %#x, flags %#x, %d segment%s" % (entry, flags, count, "" if count == 1 else "s")]
    for i in range(count):
        mem, memsz, offset, bufsz = struct.unpack_from(order + "QQQQ", data, HEADER_SIZE + DESCRIPTOR_SIZE * i)
        lines.append("segment %d: mem %#x memsz %#x bufsz %#x offset %#x" % (i, mem, memsz, bufsz, offset))
    return "".join(line + "\n" for line in lines)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--machine", type=number, default=62)
    parser.add_argument("--big-endian", action="store_true")
    parser.add_argument("--segments", type=number, default=1)
    parser.add_argument("--entry", type=number, default=0x1000200)
    parser.add_argument("--flags", type=number, default=0)
    parser.add_argument("--mem-base", type=number, default=0x1000000)
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--seg", action="append", default=[], metavar="I.FIELD=VALUE")
    parser.add_argument("--truncate", type=number)
    parser.add_argument("--append", type=number, default=0)
    parser.add_argument("--mutate", type=number, metavar="SEED")
    parser.add_argument("--fuzz", type=number, metavar="N")
    parser.add_argument("--expect", metavar="FILE")
    args = parser.parse_args(argv)
    if not 0 <= args.segments <= 64:
        parser.error("--segments must be 0..64")

    if args.fuzz:
        out = args.out
        for copy in range(1, args.fuzz + 1):
            args.mutate = args.segments * 100003 + copy
            with open("%s.%d" % (out, copy), "wb") as f:
                f.write(build(args)[0])
        return 0
    data, order = build(args)
    with open(args.out, "wb") as f:
        f.write(data)
    if args.expect:
        with open(args.expect, "w") as f:
            f.write(expected_summary(data, order))
    return 0


def batch(path):
    with open(path) as f:
        for line in f:
            argv = [arg for arg in line.rstrip("\n").split("\t") if arg]
            if argv:
                main(argv)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        sys.exit(batch(sys.argv[2]))
    sys.exit(main(sys.argv[1:]))
