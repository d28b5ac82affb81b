#!/usr/bin/python3
"""tb_reader.py: an independent reader for the TensorBoard event files rnnlm
writes. It compiles tests/tb_minimal.proto with protoc into a temporary folder,
splits the file into TFRecords checking both masked CRC32Cs of every record
(CRC32C implemented here), decodes each Event with protobuf's own decoder,
refuses unknown fields and non-canonical bytes, and checks the scalars and
text summaries against expectations.

usage: tb_reader.py EVENT_FILE [--expect FILE.json] [--scalar TAG:STEP:VALUE]...
                    [--text TAG:STEP:TEXT]... [--exact] [--allow-torn] [--quiet]

  --expect FILE.json  {"scalars": [{"tag": t, "step": s, "value": v}, ...],
                       "texts": [{"tag": t, "step": s, "text": x}, ...],
                       "exact": true}
  --scalar T:S:V      expect a scalar (T may hold ':'; S and V are the last two)
  --text T:S:X        expect a text summary (T must not hold ':')
  --exact             the file holds no events beyond the expected ones
  --allow-torn        a torn last record (a writer killed mid-write) is fine
  --quiet             do not print every event

Exit status 0 when every check passes, 1 with a message for each failure,
2 for a usage error or a missing protoc / python3-protobuf.
"""
import argparse
import importlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "tb_minimal.proto")
FILE_VERSION = "brain.Event:2"

# ---- CRC32C (Castagnoli, reflected 0x82F63B78) and the TFRecord mask --------

_CRC_TABLE = []
for _b in range(256):
    _c = _b
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for byte in data:
        c = (c >> 8) ^ _CRC_TABLE[(c ^ byte) & 0xFF]
    return c ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

# ---- protobuf classes from the .proto, compiled now -------------------------


def load_proto():
    protoc = shutil.which("protoc")
    if not protoc:
        print("tb_reader: protoc not found (Debian package protobuf-compiler)", file=sys.stderr)
        sys.exit(2)
    try:
        importlib.import_module("google.protobuf")
    except ImportError:
        print("tb_reader: python3 protobuf not found (Debian package python3-protobuf)",
              file=sys.stderr)
        sys.exit(2)
    tmp = tempfile.mkdtemp(prefix="tb_reader-")
    try:
        subprocess.run([protoc, "-I" + HERE, "--python_out=" + tmp, PROTO], check=True)
        sys.path.insert(0, tmp)
        return importlib.import_module("tb_minimal_pb2")
    finally:
        # the module is in memory once imported
        shutil.rmtree(tmp, ignore_errors=True)


# ---- records -----------------------------------------------------------------


def read_records(data):
    """Yields (offset, payload); raises ValueError on a bad CRC or a torn tail."""
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            raise EOFError("torn record header at byte %d" % pos)
        (n,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        if len_crc != masked(crc32c(data[pos:pos + 8])):
            raise ValueError("record at byte %d: length CRC %08x, expected %08x"
                             % (pos, len_crc, masked(crc32c(data[pos:pos + 8]))))
        if len(data) - pos - 12 < n + 4:
            raise EOFError("torn record at byte %d (%d data bytes announced)" % (pos, n))
        payload = data[pos + 12:pos + 12 + n]
        (data_crc,) = struct.unpack_from("<I", data, pos + 12 + n)
        if data_crc != masked(crc32c(payload)):
            raise ValueError("record at byte %d: data CRC %08x, expected %08x"
                             % (pos, data_crc, masked(crc32c(payload))))
        yield pos, payload
        pos += 16 + n


def unknown_fields(msg, path="Event"):
    """Names of the messages that hold fields the .proto does not know."""
    found = []
    if len(msg.UnknownFields()):
        found.append(path)
    for field, value in msg.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        items = value if field.label == field.LABEL_REPEATED else [value]
        for i, item in enumerate(items):
            found += unknown_fields(item, "%s.%s[%d]" % (path, field.name, i))
    return found


def f32(x):
    """x rounded to float32, as the file stores it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def same_value(got, want):
    if isinstance(want, str):
        want = float(want)  # "nan", "inf"
    if math.isnan(want):
        return math.isnan(got)
    return got == f32(want)


# ---- main ------------------------------------------------------------------------


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("event_file")
    ap.add_argument("--expect")
    ap.add_argument("--scalar", action="append", default=[])
    ap.add_argument("--text", action="append", default=[])
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--allow-torn", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    scalars, texts, exact = [], [], args.exact
    if args.expect:
        with open(args.expect, encoding="utf-8") as f:
            spec = json.load(f)
        scalars += [(s["tag"], int(s["step"]), s["value"]) for s in spec.get("scalars", [])]
        texts += [(t["tag"], int(t["step"]), t["text"]) for t in spec.get("texts", [])]
        exact = exact or bool(spec.get("exact", False))
    for s in args.scalar:
        tag, step, value = s.rsplit(":", 2)
        scalars.append((tag, int(step), value))
    for t in args.text:
        tag, step, text = t.split(":", 2)
        texts.append((tag, int(step), text))
    return args, scalars, texts, exact


def main(argv):
    args, want_scalars, want_texts, exact = parse_args(argv)
    pb = load_proto()
    with open(args.event_file, "rb") as f:
        data = f.read()

    errors = []
    events = []  # ("scalar" | "text", tag, step, value)
    nrec = 0
    try:
        for offset, payload in read_records(data):
            ev = pb.Event()
            ev.ParseFromString(payload)
            where = "record %d (byte %d)" % (nrec, offset)
            unknown = unknown_fields(ev)
            if unknown:
                errors.append("%s: unknown fields in %s" % (where, ", ".join(unknown)))
            if ev.SerializeToString(deterministic=True) != payload:
                errors.append("%s: bytes differ from protobuf's own serialisation" % where)
            kind = ev.WhichOneof("what")
            if nrec == 0:
                if kind != "file_version" or ev.file_version != FILE_VERSION:
                    errors.append("%s: first event is not file_version %r" % (where, FILE_VERSION))
                elif not args.quiet:
                    print("file_version %s wall_time %.3f" % (ev.file_version, ev.wall_time))
            elif kind != "summary":
                errors.append("%s: event of kind %s, expected a summary" % (where, kind))
            else:
                if len(ev.summary.value) != 1:
                    errors.append("%s: %d values in one summary" % (where, len(ev.summary.value)))
                for v in ev.summary.value:
                    which = v.WhichOneof("value")
                    before = len(events)
                    if which == "simple_value":
                        events.append(("scalar", v.tag, ev.step, v.simple_value))
                    elif which == "tensor":
                        t = v.tensor
                        plugin = v.metadata.plugin_data.plugin_name
                        if (plugin != "text" or t.dtype != pb.DT_STRING
                                or not t.HasField("tensor_shape") or len(t.tensor_shape.dim)
                                or t.tensor_shape.unknown_rank or len(t.string_val) != 1):
                            errors.append("%s: tag %s: not a rank-0 string tensor of the text "
                                          "plugin" % (where, v.tag))
                            continue
                        if v.metadata.data_class != pb.DATA_CLASS_TENSOR:
                            errors.append("%s: tag %s: data_class %d" % (where, v.tag,
                                                                          v.metadata.data_class))
                        events.append(("text", v.tag, ev.step,
                                       t.string_val[0].decode("utf-8", "replace")))
                    else:
                        errors.append("%s: tag %s: value of kind %s" % (where, v.tag, which))
                    if not args.quiet and len(events) > before:
                        k, tag, step, val = events[-1]
                        print("%-6s step %-14d %-16s %r" % (k, step, tag, val))
            nrec += 1
    except EOFError as e:
        if not args.allow_torn:
            errors.append(str(e))
    except ValueError as e:
        errors.append(str(e))
    if nrec == 0:
        errors.append("no complete record")

    # expectations
    for tag, step, value in want_scalars:
        got = [e[3] for e in events if e[0] == "scalar" and e[1] == tag and e[2] == step]
        if not got:
            errors.append("missing scalar %s at step %d" % (tag, step))
        elif not any(same_value(g, value) for g in got):
            errors.append("scalar %s at step %d is %r, expected %r" % (tag, step, got, value))
    for tag, step, text in want_texts:
        got = [e[3] for e in events if e[0] == "text" and e[1] == tag and e[2] == step]
        if text not in got:
            errors.append("text %s at step %d is %r, expected %r" % (tag, step, got, text))
    if exact:
        nwant = len(want_scalars) + len(want_texts)
        if len(events) != nwant:
            errors.append("%d events, expected exactly %d" % (len(events), nwant))

    nscal = sum(1 for e in events if e[0] == "scalar")
    if errors:
        for e in errors:
            print("tb_reader: %s: %s" % (args.event_file, e), file=sys.stderr)
        return 1
    print("tb_reader: %s: %d records, %d scalars, %d texts: OK"
          % (os.path.basename(args.event_file), nrec, nscal, len(events) - nscal))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
