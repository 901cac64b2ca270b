#!/usr/bin/python3
"""libkdumpfile's view of kdump-save-x86_64's dumps against our ELF output.

    check-dumps.py --elf OUT.elf --release R KDUMP...

For every KDUMP (kdump-compressed files written by `vmcore-dump save`): libkdumpfile
(python3-libkdumpfile, Debian's /usr/bin/python3) must open it, its VMCOREINFO
(linux.vmcoreinfo.raw) must equal the VMCOREINFO note of the ELF output (and name release R),
and every page kept in both files must read the same through libkdumpfile at its physical address
as in the ELF output; the pages of the kernel-text range are counted separately, and at least one
must be compared. Pages the ELF output keeps and the kdump file does not are only counted (the
ELF and kdump filters differ: makedumpfile -E keeps pages its kdump output drops too).
Prints one line per finding; exits 1 if any check failed.
"""
import argparse
import mmap
import struct
import sys

import kdumpfile
from kdumpfile import exceptions as kdump_errors

PAGE = 4096
KERNEL_MAP = 0xFFFFFFFF80000000
failures = []


def fail(text):
    failures.append(text)
    print("FAIL", text)


def elf_layout(data):
    """(vmcoreinfo bytes or None, [(paddr, memsz, filesz, offset, vaddr)]) of an ELF64 core."""
    assert data[:4] == b"\x7fELF" and data[4] == 2, "not an ELF64 file"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phnum, = struct.unpack_from("<H", data, 0x38)
    vmcoreinfo, loads = None, []
    for i in range(phnum):
        p_type, _, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        if p_type == 1:
            loads.append((paddr, memsz, filesz, off, vaddr))
        elif p_type == 4:
            pos, end = off, off + filesz
            while pos + 12 <= end:
                namesz, descsz, _ = struct.unpack_from("<III", data, pos)
                name = bytes(data[pos + 12:pos + 12 + namesz]).rstrip(b"\0")
                desc_at = pos + 12 + ((namesz + 3) & ~3)
                if name == b"VMCOREINFO":
                    vmcoreinfo = bytes(data[desc_at:desc_at + descsz])
                pos = desc_at + ((descsz + 3) & ~3)
    return vmcoreinfo, loads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--release", required=True)
    ap.add_argument("kdumps", nargs="+")
    args = ap.parse_args()

    with open(args.elf, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    elf_info, loads = elf_layout(data)
    if elf_info is None:
        fail(f"{args.elf}: no VMCOREINFO note")
        return
    # Kept pages of the ELF output: physical page -> file offset (first PT_LOAD with file data).
    kept = {}
    text = [(paddr, paddr + memsz) for paddr, memsz, _, _, vaddr in loads if vaddr >= KERNEL_MAP]
    for paddr, memsz, filesz, off, _ in loads:
        for page in range(0, filesz - filesz % PAGE, PAGE):
            kept.setdefault(paddr + page, off + page)
    print(f"elf: {len(loads)} PT_LOADs, {len(kept)} pages with file data, kernel text "
          + ", ".join(f"{a:#x}-{b:#x}" for a, b in text))
    if not text:
        fail(f"{args.elf}: no kernel-text PT_LOAD")
    want_release = f"OSRELEASE={args.release}\n".encode()
    if want_release not in elf_info:
        fail(f"{args.elf}: VMCOREINFO does not name {args.release}")

    for path in args.kdumps:
        try:
            k = kdumpfile.kdumpfile(path)
        except Exception as e:  # libkdumpfile refuses the file
            fail(f"libkdumpfile cannot open {path}: {type(e).__name__}: {e}")
            continue
        fmt = k.attr["file.format"]
        try:
            raw = bytes(k.attr["linux.vmcoreinfo.raw"])
        except Exception as e:
            fail(f"{path}: libkdumpfile has no linux.vmcoreinfo.raw: {type(e).__name__}: {e}")
            continue
        if raw.rstrip(b"\0") != elf_info.rstrip(b"\0"):
            fail(f"{path}: VMCOREINFO ({len(raw)} bytes) differs from the ELF output's note ({len(elf_info)} bytes)")
        same = text_same = zero_absent = elf_only = 0
        bad = []
        for paddr in sorted(kept):
            off = kept[paddr]
            want = data[off:off + PAGE]
            try:
                got = k.read(kdumpfile.KDUMP_MACHPHYSADDR, paddr, PAGE)
            except kdump_errors.NoDataException:
                if want.count(0) == PAGE:
                    zero_absent += 1
                else:
                    elf_only += 1
                continue
            except Exception as e:
                bad.append(f"{paddr:#x} {type(e).__name__}: {e}")
                continue
            if bytes(got) != want:
                bad.append(f"{paddr:#x} differs")
                continue
            same += 1
            if any(a <= paddr < b for a, b in text):
                text_same += 1
        print(f"{path}: libkdumpfile format {fmt}, VMCOREINFO {len(raw)} bytes, {same} pages equal to the ELF "
              f"output ({text_same} in kernel text), {zero_absent} zero and {elf_only} other ELF pages absent, {len(bad)} bad")
        if bad:
            fail(f"{path}: {len(bad)} of {len(kept)} ELF pages read differently through libkdumpfile: "
                 + ", ".join(bad[:8]))
        if text_same == 0:
            fail(f"{path}: no kernel-text page compared")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        fail(f"{type(e).__name__}: {e}")
    sys.exit(1 if failures else 0)
