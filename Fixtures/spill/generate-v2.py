#!/usr/bin/env python3
"""Spill files of format version 2, written from the spec of format
version 2 (not from the Swift code) by an independent encoder. It imports
nothing from generate.py: the few helpers it needs are copied here.

Version 2 layout (all integers little-endian):
  0   8  magic "MEMOSPIL"
  8   2  format version = 2 (UInt16)
  10  2  header size H = 80 + N (UInt16)
  12  4  flags = 0 (UInt32)
  16  16 key: high UInt64, then low UInt64
  32  8  type fingerprint (UInt64): low half of key_of(string_encoding(type))
  40  8  payload length (UInt64)
  48  16 XXH3-128 (high UInt64, then low UInt64) of header[64:H] + payload
  64  8  function version (Int64)
  72  4  function name length N (UInt32)
  76  4  reserved = 0 (UInt32)
  80  N  function name, UTF-8
  H   .. payload (same encodings as version 1)

Frozen: a new format version adds files, it never rewrites these.
Run: pip install xxhash && cd Fixtures/spill && python3 generate-v2.py
"""
import struct

import xxhash

MASK64 = (1 << 64) - 1


def key_of(*encoded):
    d = xxhash.xxh3_128_intdigest(b"".join(encoded))
    return d >> 64, d & MASK64


def string_encoding(text):
    data = text.encode()
    return bytes([0x10]) + struct.pack("<Q", len(data)) + data


def int_encoding(value):
    return bytes([0x06]) + struct.pack("<q", value)


def fingerprint(type_name):
    return key_of(string_encoding(type_name))[1]


def spill_file(key, type_name, payload, function, function_version,
               version=2, magic=b"MEMOSPIL", header_size=None, reserved=0):
    """A version 2 spill file. The checksum always covers the bytes really
    written at [64, 80 + N) and the payload, so overriding header_size or
    reserved changes only that field."""
    name = function.encode()
    high, low = key
    tail = struct.pack("<qII", function_version, len(name), reserved) + name
    assert len(tail) == 16 + len(name)
    c = xxhash.xxh3_128_intdigest(tail + payload)
    if header_size is None:
        header_size = 80 + len(name)
    head = magic + struct.pack("<HHI", version, header_size, 0)
    head += struct.pack("<QQ", high, low)
    head += struct.pack("<Q", fingerprint(type_name))
    head += struct.pack("<Q", len(payload))
    head += struct.pack("<QQ", c >> 64, c & MASK64)
    assert len(head) == 64
    return head + tail + payload


def key_hex(key):
    return "%016x%016x" % key


doubles = [0.5 * i for i in range(100)]
doubles_payload = struct.pack("<Q", len(doubles)) + struct.pack(f"<{len(doubles)}d", *doubles)
text = "spilled 🌍"
string_payload = struct.pack("<Q", len(text.encode())) + text.encode()
int_payload = struct.pack("<q", -42)

double_key = key_of(string_encoding("fixture"), int_encoding(1))
string_key = key_of(string_encoding("fixture"), int_encoding(2))
int_key = key_of(string_encoding("fixture"), int_encoding(3))

DOUBLES = "Swift.Array<Swift.Double>"


def doubles_file(**overrides):
    args = dict(key=double_key, type_name=DOUBLES, payload=doubles_payload,
                function="spectrum", function_version=3)
    args.update(overrides)
    return spill_file(**args)


good = doubles_file()
H = 80 + len(b"spectrum")
assert struct.unpack_from("<H", good, 10)[0] == H == 88


def flip(data, offset):
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1:]


def with_name_length(data, n):
    # Only the N field changes: the header-size field stays 88 and the
    # checksum is not recomputed.
    return data[:72] + struct.pack("<I", n) + data[76:]


# name -> (bytes, key, function, function version, payload length, what is wrong)
entries = {
    "v2-doubles.spill": (good, double_key, "spectrum", 3, len(doubles_payload), None),
    "v2-string.spill": (spill_file(string_key, "Swift.String", string_payload, "", 0),
                        string_key, "", 0, len(string_payload), None),
    "v2-int.spill": (spill_file(int_key, "Swift.Int", int_payload, "fib", -1),
                     int_key, "fib", -1, len(int_payload), None),
    # Corrupted variants of v2-doubles.spill, each must be refused.
    "v2-doubles-bad-magic.spill": (
        doubles_file(magic=b"NOTMEMO!"), double_key, "spectrum", 3, len(doubles_payload),
        'magic is "NOTMEMO!" instead of "MEMOSPIL"'),
    "v2-doubles-bad-version.spill": (
        doubles_file(version=99), double_key, "spectrum", 3, len(doubles_payload),
        "format version is 99 (otherwise valid, checksum matches)"),
    "v2-doubles-flipped-byte.spill": (
        flip(good, H + 20), double_key, "spectrum", 3, len(doubles_payload),
        "payload byte at file offset %d (H + 20) XOR 0x01: checksum fails" % (H + 20)),
    "v2-doubles-flipped-name.spill": (
        flip(good, 80), double_key, "spectrum", 3, len(doubles_payload),
        'first function name byte XOR 0x01 ("rpectrum"): checksum fails'),
    "v2-doubles-truncated.spill": (
        good[:-8], double_key, "spectrum", 3, len(doubles_payload),
        "last 8 bytes removed: payload length field says %d, file holds %d payload bytes"
        % (len(doubles_payload), len(good) - 8 - H)),
    "v2-doubles-header-only.spill": (
        good[:40], double_key, "spectrum", 3, len(doubles_payload),
        "only the first 40 bytes of the file (header cut short)"),
    "v2-doubles-wrong-key.spill": (
        doubles_file(key=string_key), string_key, "spectrum", 3, len(doubles_payload),
        "header key is string_key (key of fixture 2) instead of double_key"),
    "v2-doubles-wrong-type.spill": (
        doubles_file(type_name="Swift.Array<Swift.Float>"), double_key, "spectrum", 3,
        len(doubles_payload),
        "type fingerprint is that of Swift.Array<Swift.Float>"),
    "v2-doubles-name-overrun.spill": (
        with_name_length(good, 5000), double_key, "spectrum", 3, len(doubles_payload),
        "function name length N is 5000, more than the file holds (header-size field "
        "still 88, nothing recomputed, so the stored checksum is stale too)"),
    "v2-doubles-reserved-set.spill": (
        doubles_file(reserved=1), double_key, "spectrum", 3, len(doubles_payload),
        "reserved field at offset 76 is 1 (checksum recomputed, matches)"),
    "v2-doubles-bad-header-size.spill": (
        doubles_file(header_size=64), double_key, "spectrum", 3, len(doubles_payload),
        "header-size field is 64 with version 2 (real header is 88 bytes; checksum "
        "covers the real bytes [64, 88) and the payload)"),
}

for name, (data, *_rest) in entries.items():
    with open(name, "wb") as f:
        f.write(data)

lines = [
    "Spill fixtures of format version 2, written by generate-v2.py.",
    "Key hex: high UInt64 then low UInt64, 16 lowercase hex digits each.",
    "Payload length: the value of the payload length field (offset 40).",
    "",
]
for name in sorted(entries):
    data, key, function, function_version, payload_length, wrong = entries[name]
    lines.append(name)
    lines.append("  size: %d bytes" % len(data))
    lines.append("  key: %s" % key_hex(key))
    lines.append('  function: "%s"' % function)
    lines.append("  function version: %d" % function_version)
    lines.append("  payload length: %d" % payload_length)
    lines.append("  wrong: %s" % (wrong or "nothing (valid)"))
    lines.append("")
with open("v2-fixtures.txt", "w") as f:
    f.write("\n".join(lines))

print("\n".join(sorted(entries) + ["v2-fixtures.txt"]))
