#!/usr/bin/env python3
"""Spill files of format version 1, written from the spec in
Sources/Memo/Storage/SpillFileFormat.swift by an independent encoder.

Frozen: a new format version adds files, it never rewrites these.
Run: pip install xxhash && cd Fixtures/spill && python3 generate.py
"""
import struct

import xxhash


def key_of(*encoded):
    d = xxhash.xxh3_128_intdigest(b"".join(encoded))
    return d >> 64, d & ((1 << 64) - 1)


def string_encoding(text):
    data = text.encode()
    return bytes([0x10]) + struct.pack("<Q", len(data)) + data


def int_encoding(value):
    return bytes([0x06]) + struct.pack("<q", value)


def fingerprint(type_name):
    return key_of(string_encoding(type_name))[1]


def spill_file(key, type_name, payload, version=1, magic=b"MEMOSPIL"):
    high, low = key
    c = xxhash.xxh3_128_intdigest(payload)
    header = magic + struct.pack("<HHI", version, 64, 0)
    header += struct.pack("<QQ", high, low)
    header += struct.pack("<Q", fingerprint(type_name))
    header += struct.pack("<Q", len(payload))
    header += struct.pack("<QQ", c >> 64, c & ((1 << 64) - 1))
    assert len(header) == 64
    return header + payload


doubles = [0.5 * i for i in range(100)]
doubles_payload = struct.pack("<Q", len(doubles)) + struct.pack(f"<{len(doubles)}d", *doubles)
text = "spilled 🌍"
string_payload = struct.pack("<Q", len(text.encode())) + text.encode()

double_key = key_of(string_encoding("fixture"), int_encoding(1))
string_key = key_of(string_encoding("fixture"), int_encoding(2))
int_key = key_of(string_encoding("fixture"), int_encoding(3))

good = spill_file(double_key, "Swift.Array<Swift.Double>", doubles_payload)
files = {
    "v1-doubles.spill": good,
    "v1-string.spill": spill_file(string_key, "Swift.String", string_payload),
    "v1-int.spill": spill_file(int_key, "Swift.Int", struct.pack("<q", -42)),
    # Corrupted variants of v1-doubles.spill, each must be refused.
    "v1-doubles-bad-magic.spill": spill_file(double_key, "Swift.Array<Swift.Double>", doubles_payload, magic=b"NOTMEMO!"),
    "v1-doubles-bad-version.spill": spill_file(double_key, "Swift.Array<Swift.Double>", doubles_payload, version=99),
    "v1-doubles-flipped-byte.spill": good[:100] + bytes([good[100] ^ 0x01]) + good[101:],
    "v1-doubles-truncated.spill": good[:-8],
    "v1-doubles-header-only.spill": good[:40],
    "v1-doubles-wrong-key.spill": spill_file(string_key, "Swift.Array<Swift.Double>", doubles_payload),
    "v1-doubles-wrong-type.spill": spill_file(double_key, "Swift.Array<Swift.Float>", doubles_payload),
}
for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
print("\n".join(sorted(files)))
