#!/usr/bin/env python3
"""Golden key digests, computed by an encoder written from the spec, not from the Swift code.

Each case is a name, the Swift arguments it stands for (the test in
Tests/MemoTests/Keys/GoldenKeyTests.swift builds the same values), and the canonical bytes
this script derives from the encoding rules in Sources/Memo/Keys/StableTypeTag.swift.
Its output, golden.tsv, is frozen: it changes only with a deliberate key-format bump.

Run: pip install xxhash && python3 Fixtures/keys/generate.py > Fixtures/keys/golden.tsv
"""
import math
import struct

import xxhash

TAG = dict(bool=0x01, int8=0x02, int16=0x03, int32=0x04, int64=0x05, int=0x06,
           uint8=0x07, uint16=0x08, uint32=0x09, uint64=0x0A, uint=0x0B, float=0x0C,
           double=0x0D, int128=0x0E, uint128=0x0F, string=0x10, substring=0x11,
           sequence=0x20, numeric=0x21, none=0x30, some=0x31, dictionary=0x40, set=0x41,
           range=0x50, closedRange=0x51, duration=0x52, raw=0x60, cacheKey=0x70,
           date=0xA0, uuid=0xA1, url=0xA2, data=0xA3, decimal=0xA4)

FMT = dict(bool="<B", int8="<b", int16="<h", int32="<i", int64="<q", int="<q", uint8="<B",
           uint16="<H", uint32="<I", uint64="<Q", uint="<Q", float="<f", double="<d")


def tag(name):
    return bytes([TAG[name]])


def length(n):
    return struct.pack("<Q", n)


def num(kind, value):
    if kind in ("int128", "uint128"):
        return tag(kind) + (value % (1 << 128)).to_bytes(16, "little")
    return tag(kind) + struct.pack(FMT[kind], value)


def bits(kind, pattern):
    """A float or double given by its bit pattern (for -0.0 and NaN)."""
    size = 4 if kind == "float" else 8
    return tag(kind) + pattern.to_bytes(size, "little")


def string(text, kind="string"):
    data = text.encode("utf-8")
    return tag(kind) + length(len(data)) + data


def numeric_array(kind, values):
    out = tag("numeric") + tag(kind) + length(len(values))
    for value in values:
        out += struct.pack(FMT[kind], value)
    return out


def sequence(encoded_elements):
    return tag("sequence") + length(len(encoded_elements)) + b"".join(encoded_elements)


def digest_pair(data):
    d = xxhash.xxh3_128_intdigest(data)
    return d >> 64, d & ((1 << 64) - 1)


def unordered(kind, encoded_entries):
    pairs = sorted(digest_pair(entry) for entry in encoded_entries)
    out = tag(kind) + length(len(pairs))
    for high, low in pairs:
        out += struct.pack("<QQ", high, low)
    return out


def duration(seconds, attoseconds):
    return tag("duration") + struct.pack("<qq", seconds, attoseconds)


def encodable(name, root):
    """A value keyed by its Encodable conformance: the tag, then the digest of its type's
    name and its root node."""
    return bytes([0x80]) + struct.pack("<QQ", *digest_pair(string(name) + root))


def keyed(fields):
    """A keyed container: count, then each field's key (a string) and node, in the order of
    the keys' UTF-8 bytes."""
    ordered = sorted(fields.items(), key=lambda item: item[0].encode("utf-8"))
    return bytes([0x81]) + length(len(ordered)) + b"".join(string(k) + v for k, v in ordered)


def unkeyed(nodes):
    return bytes([0x82]) + length(len(nodes)) + b"".join(nodes)


def stable_digest(data):
    """A StableHashable field inside an encoded value: the digest of its own encoding."""
    return bytes([0x84]) + struct.pack("<QQ", *digest_pair(data))


long_text = "memo" * 250
big_doubles = [i * 0.5 for i in range(100_000)]

CASES = [
    ("bool.true", num("bool", 1)),
    ("bool.false", num("bool", 0)),
    ("int8.-5", num("int8", -5)),
    ("int16.-300", num("int16", -300)),
    ("int32.123456", num("int32", 123456)),
    ("int64.-1", num("int64", -1)),
    ("int.0", num("int", 0)),
    ("int.1", num("int", 1)),
    ("int.-1", num("int", -1)),
    ("int.max", num("int", 2**63 - 1)),
    ("uint8.255", num("uint8", 255)),
    ("uint16.65535", num("uint16", 65535)),
    ("uint32.7", num("uint32", 7)),
    ("uint64.max", num("uint64", 2**64 - 1)),
    ("uint.42", num("uint", 42)),
    ("int128.-2", num("int128", -2)),
    ("uint128.2^100", num("uint128", 2**100)),
    ("float.1.5", num("float", 1.5)),
    ("float.-0", bits("float", 0x80000000)),
    ("double.pi", num("double", math.pi)),
    ("double.-0", bits("double", 0x8000000000000000)),
    ("double.inf", num("double", math.inf)),
    ("double.nan", bits("double", 0x7FF8000000000000)),
    ("string.empty", string("")),
    ("string.hello", string("hello")),
    ("string.unicode", string("héllo 🌍")),
    ("string.1", string("1")),
    ("string.long", string(long_text)),
    ("substring.ell", string("ell", "substring")),
    ("array.int", numeric_array("int", [1, 2, 3])),
    ("array.int.empty", numeric_array("int", [])),
    ("array.double", numeric_array("double", [1.0, 2.0])),
    ("array.float", numeric_array("float", [1.0, 2.0])),
    ("array.uint8", numeric_array("uint8", [0, 1, 255])),
    ("array.bool", numeric_array("bool", [1, 0, 1])),
    ("array.double.100k", numeric_array("double", big_doubles)),
    ("array.string", sequence([string("a"), string("bc")])),
    ("array.nested.12-3", sequence([numeric_array("int", [1, 2]), numeric_array("int", [3])])),
    ("array.nested.1-23", sequence([numeric_array("int", [1]), numeric_array("int", [2, 3])])),
    ("contiguousarray.int", numeric_array("int", [1, 2, 3])),
    ("arrayslice.int", numeric_array("int", [2, 3])),
    ("optional.none", tag("none")),
    ("optional.some.5", tag("some") + num("int", 5)),
    ("optional.some.none", tag("some") + tag("none")),
    ("dictionary.a1b2", unordered("dictionary", [string("a") + num("int", 1),
                                                 string("b") + num("int", 2)])),
    ("dictionary.empty", unordered("dictionary", [])),
    ("set.123", unordered("set", [num("int", 1), num("int", 2), num("int", 3)])),
    ("range.0..<10", tag("range") + num("int", 0) + num("int", 10)),
    ("closedrange.0...10", tag("closedRange") + num("int", 0) + num("int", 10)),
    ("duration.3s", duration(3, 0)),
    ("duration.1500ms", duration(1, 500_000_000_000_000_000)),
    ("enum.int.2", tag("raw") + num("int", 2)),
    ("enum.string.fast", tag("raw") + string("fast")),
    ("cachekey.of.hello", tag("cacheKey") + struct.pack("<QQ", *digest_pair(string("hello")))),
    ("pack.empty", b""),
    ("pack.ab.c", string("ab") + string("c")),
    ("pack.a.bc", string("a") + string("bc")),
    ("pack.1.'1'", num("int", 1) + string("1")),
    ("pack.spectrum", string("spectrum") + numeric_array("double", [0.5, 0.25]) + num("int", 1024)),
    # Foundation's types. Date: seconds since 2001-01-01 as a double's bits, -0.0 as 0.0.
    ("date.reference", tag("date") + struct.pack("<Q", 0)),
    ("date.-0", tag("date") + struct.pack("<Q", 0)),
    ("date.1e9", tag("date") + struct.pack("<d", 1e9)),
    ("uuid", tag("uuid") + bytes.fromhex("E621E1F8C36C495A93FC0C247A3E6E5F")),
    # URL: the relative string, then the base's absolute string as an optional.
    ("url.absolute", tag("url") + string("https://example.org/a?b=1") + tag("none")),
    ("url.relative", tag("url") + string("b/c") + tag("some") + string("https://example.org/a/")),
    ("data.012", tag("data") + length(3) + bytes([0, 1, 2])),
    ("data.empty", tag("data") + length(0)),
    # Decimal: its compact decimal string.
    ("decimal.1.00", tag("decimal") + string("1")),
    ("decimal.-12.5", tag("decimal") + string("-12.5")),
    ("decimal.-0", tag("decimal") + string("0")),
    # Encodable keys (Tests/MemoTests/Keys/GoldenKeyTests.swift declares the types).
    ("encodable.query", encodable("MemoTests.GoldenQuery", keyed({
        "table": string("spectra"), "limit": num("int", 20), "threshold": num("double", 0.5),
        "descending": num("bool", 1)}))),
    # An Optional field's nil is left out by the synthesized encode(to:) (`note`); [Double]
    # is StableHashable, so its digest; a nested struct is inline, and so is an array of
    # them (not StableHashable); an enum case with an associated value is a keyed container
    # holding a keyed container.
    ("encodable.nested", encodable("MemoTests.GoldenPlan", keyed({
        "name": string("plan"),
        "samples": stable_digest(numeric_array("double", [0.5, -1.0])),
        "band": keyed({"low": num("int", 1), "high": num("int", 4)}),
        "step": keyed({"scaled": keyed({"by": num("double", 2.0)})}),
        "rows": unkeyed([keyed({"low": num("int", 0), "high": num("int", 0)})])}))),
]

if __name__ == "__main__":
    print("# name\txxh3-128 of the canonical encoding (frozen; see generate.py)")
    for name, data in CASES:
        print(f"{name}\t{xxhash.xxh3_128_hexdigest(data)}")
