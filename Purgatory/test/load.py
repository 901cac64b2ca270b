#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# A reference loader for the purgatory object, written from Purgatory/README.md
# only (it is what the Swift loader must do, in ~150 lines): lay the SHF_ALLOC
# sections out at BASE (PROGBITS in section-header order, each at its
# alignment, then NOBITS the same way), apply the relocations (RELA or REL),
# patch the ABI variables by name, and write the memory image (.bss as zeros).
#
#   load.py OBJECT BASE IMAGE [--regions S:L,S:L..] [--digest HEX] [--options N]
#           [--backup SRC:DEST:SIZE] [--entry64 V,V,..(17)] [--entry32 V,V,..(9)]
#
# Prints "entry=0x..." (purgatory_start) and "size=0x..." (image bytes).

import argparse
import struct
import sys

SHT_SYMTAB, SHT_RELA, SHT_NOBITS, SHT_REL = 2, 4, 8, 9
SHF_ALLOC = 0x2
SHN_UNDEF, SHN_ABS = 0, 0xFFF1
EM_386, EM_X86_64 = 3, 62


def die(message):
    sys.exit(f"load.py: {message}")


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF":
            die("not ELF")
        self.data = data
        self.is64 = data[4] == 2
        if data[5] != 1:
            die("not little-endian")
        if self.is64:
            (e_type, e_machine, _, _, _, e_shoff, _, _, _, _, e_shentsize, e_shnum, e_shstrndx) = \
                struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
        else:
            (e_type, e_machine, _, _, _, e_shoff, _, _, _, _, e_shentsize, e_shnum, e_shstrndx) = \
                struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
        if e_type != 1:
            die("not ET_REL")
        self.machine = e_machine
        self.sections = []
        for i in range(e_shnum):
            off = e_shoff + i * e_shentsize
            if self.is64:
                name, typ, flags, addr, offset, size, link, info, align, entsize = \
                    struct.unpack_from("<IIQQQQIIQQ", data, off)
            else:
                name, typ, flags, addr, offset, size, link, info, align, entsize = \
                    struct.unpack_from("<IIIIIIIIII", data, off)
            self.sections.append(dict(name=name, type=typ, flags=flags, offset=offset, size=size,
                                      link=link, info=info, align=max(align, 1), entsize=entsize))
        shstr = self.sections[e_shstrndx]
        for s in self.sections:
            s["name"] = self.string(shstr, s["name"])

    def string(self, strtab, index):
        start = strtab["offset"] + index
        return self.data[start:self.data.index(b"\0", start)].decode()

    def symbols(self):
        symtab = next(s for s in self.sections if s["type"] == SHT_SYMTAB)
        strtab = self.sections[symtab["link"]]
        result = []
        for i in range(symtab["size"] // symtab["entsize"]):
            off = symtab["offset"] + i * symtab["entsize"]
            if self.is64:
                name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", self.data, off)
            else:
                name, value, size, info, _, shndx = struct.unpack_from("<IIIBBH", self.data, off)
            result.append(dict(name=self.string(strtab, name), value=value, size=size,
                               bind=info >> 4, shndx=shndx))
        return result


def align_up(value, alignment):
    return (value + alignment - 1) // alignment * alignment


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("object")
    parser.add_argument("base", type=lambda s: int(s, 0))
    parser.add_argument("image")
    parser.add_argument("--regions", default="")
    parser.add_argument("--digest", default="")
    parser.add_argument("--options", type=lambda s: int(s, 0), default=0)
    parser.add_argument("--backup", default="")
    parser.add_argument("--entry64", default="")
    parser.add_argument("--entry32", default="")
    args = parser.parse_args()

    elf = Elf(open(args.object, "rb").read())

    # Layout: PROGBITS then NOBITS, each in section-header order at its alignment.
    address = {}
    cursor = args.base
    for want_nobits in (False, True):
        for index, s in enumerate(elf.sections):
            if not s["flags"] & SHF_ALLOC or (s["type"] == SHT_NOBITS) != want_nobits:
                continue
            if args.base % s["align"]:
                die(f"base not aligned to {s['name']}'s {s['align']}")
            cursor = align_up(cursor, s["align"])
            address[index] = cursor
            cursor += s["size"]
    image = bytearray(cursor - args.base)
    for index, s in enumerate(elf.sections):
        if index in address and s["type"] != SHT_NOBITS:
            start = address[index] - args.base
            image[start:start + s["size"]] = elf.data[s["offset"]:s["offset"] + s["size"]]

    symbols = elf.symbols()

    def symbol_address(sym):
        if sym["shndx"] == SHN_ABS:
            return sym["value"]
        if sym["shndx"] == SHN_UNDEF or sym["shndx"] not in address:
            die(f"symbol {sym['name']!r} is undefined or not in an allocated section")
        return address[sym["shndx"]] + sym["value"]

    # Relocations.
    for s in elf.sections:
        if s["type"] not in (SHT_RELA, SHT_REL) or s["info"] not in address:
            continue
        target = s["info"]
        for i in range(s["size"] // s["entsize"]):
            off = s["offset"] + i * s["entsize"]
            if elf.is64:
                r_offset, r_info, addend = struct.unpack_from("<QQq", elf.data, off) if s["type"] == SHT_RELA \
                    else struct.unpack_from("<QQ", elf.data, off) + (None,)
                r_sym, r_type = r_info >> 32, r_info & 0xFFFFFFFF
            else:
                r_offset, r_info, addend = struct.unpack_from("<IIi", elf.data, off) if s["type"] == SHT_RELA \
                    else struct.unpack_from("<II", elf.data, off) + (None,)
                r_sym, r_type = r_info >> 8, r_info & 0xFF
            place = address[target] + r_offset
            at = place - args.base
            if addend is None:  # REL: the addend is the 32-bit value already in place
                addend = struct.unpack_from("<i", image, at)[0]
            value = symbol_address(symbols[r_sym]) + addend
            if elf.machine == EM_X86_64:
                if r_type == 1:                      # R_X86_64_64
                    struct.pack_into("<Q", image, at, value & (2**64 - 1))
                elif r_type in (2, 4):               # R_X86_64_PC32, R_X86_64_PLT32
                    delta = value - place
                    if not -2**31 <= delta < 2**31:
                        die("PC32 out of range")
                    struct.pack_into("<i", image, at, delta)
                elif r_type == 10:                   # R_X86_64_32
                    if not 0 <= value < 2**32:
                        die("R_X86_64_32 out of range (purgatory must be below 4 GiB)")
                    struct.pack_into("<I", image, at, value)
                elif r_type == 11:                   # R_X86_64_32S
                    if not -2**31 <= value < 2**31:
                        die("R_X86_64_32S out of range")
                    struct.pack_into("<i", image, at, value)
                else:
                    die(f"unsupported x86_64 relocation type {r_type}")
            elif elf.machine == EM_386:
                if r_type == 1:                      # R_386_32
                    struct.pack_into("<I", image, at, value & 0xFFFFFFFF)
                elif r_type in (2, 4):               # R_386_PC32, R_386_PLT32
                    struct.pack_into("<I", image, at, (value - place) & 0xFFFFFFFF)
                else:
                    die(f"unsupported i386 relocation type {r_type}")
            else:
                die("unsupported machine")

    by_name = {sym["name"]: sym for sym in symbols if sym["bind"] == 1}

    def patch(name, payload):
        sym = by_name.get(name) or die(f"no global symbol {name}")
        if len(payload) > sym["size"]:
            die(f"{name}: {len(payload)} bytes do not fit in {sym['size']}")
        at = symbol_address(sym) - args.base
        image[at:at + len(payload)] = payload

    regions = [tuple(int(x, 0) for x in item.split(":")) for item in args.regions.split(",") if item]
    patch("sha256_regions", b"".join(struct.pack("<QQ", start, length) for start, length in regions))
    patch("sha256_digest", bytes.fromhex(args.digest) if args.digest else bytes(32))
    patch("purgatory_options", struct.pack("<I", args.options))
    if args.backup:
        src, dest, size = (int(x, 0) for x in args.backup.split(":"))
        patch("backup_src", struct.pack("<Q", src))
        patch("backup_dest", struct.pack("<Q", dest))
        patch("backup_size", struct.pack("<Q", size))
    if args.entry64 and elf.machine == EM_X86_64:  # the i386 object has no entry64_regs
        patch("entry64_regs", b"".join(struct.pack("<Q", int(v, 0)) for v in args.entry64.split(",")))
    if args.entry32:
        patch("entry32_regs", b"".join(struct.pack("<I", int(v, 0)) for v in args.entry32.split(",")))

    open(args.image, "wb").write(image)
    print(f"entry=0x{symbol_address(by_name['purgatory_start']):x}")
    print(f"size=0x{len(image):x}")


if __name__ == "__main__":
    main()
