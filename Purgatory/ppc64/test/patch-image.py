#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# qemu-test.sh: patches purgatory's variables in the flat test image (file
# offset = physical address), written from Purgatory/ppc64/README.md only:
#     patch-image.py IMAGE NM_OUTPUT little|big OPTIONS [corrupt]
# Regions: the 100003-byte payload at 0x300000 as two regions, and the 64-byte
# tree at 0x380000. Backup: 4099 bytes 0x300000 -> 0x390000. Kernel entry: the
# landing code at 0x3000. With "corrupt", one payload byte changes after the
# digest is taken.
import hashlib
import struct
import sys

image_path, nm_path, order, options = sys.argv[1:5]
corrupt = len(sys.argv) > 5 and sys.argv[5] == "corrupt"
endian = "<" if order == "little" else ">"

symbols = {}
with open(nm_path) as nm:
    for line in nm:
        fields = line.split()
        if len(fields) == 3:
            symbols[fields[2]] = int(fields[0], 16)

with open(image_path, "rb") as f:
    image = bytearray(f.read())
needed = 0x390000 + 4099
if len(image) < needed:
    image += bytes(needed - len(image))

PAYLOAD, PAYLOAD_SIZE, TREE, TREE_SIZE = 0x300000, 100003, 0x380000, 64
regions = [(PAYLOAD, 60000), (PAYLOAD + 60000, PAYLOAD_SIZE - 60000), (TREE, TREE_SIZE)]
digest = hashlib.sha256(b"".join(bytes(image[s:s + n]) for s, n in regions)).digest()

def put(name, fmt, *values):
    address = symbols[name]
    data = struct.pack(endian + fmt, *values)
    image[address:address + len(data)] = data

table = b"".join(struct.pack(endian + "QQ", s, n) for s, n in regions)
table += bytes(256 - len(table))
image[symbols["sha256_regions"]:symbols["sha256_regions"] + 256] = table
image[symbols["sha256_digest"]:symbols["sha256_digest"] + 32] = digest
put("purgatory_options", "I", int(options, 0))
put("backup_src", "Q", PAYLOAD)
put("backup_dest", "Q", 0x390000)
put("backup_size", "Q", 4099)
put("kernel_entry", "Q", 0x3000)
put("device_tree", "Q", TREE)
if corrupt:
    image[PAYLOAD + 70000] ^= 0xFF

with open(image_path, "wb") as f:
    f.write(image)
