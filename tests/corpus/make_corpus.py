#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the malformed inputs of tests/corpus/: one defect per file, named after it. test_corpus.cpp feeds every
# file to its reader and requires a ganpp::error. Run from anywhere: python3 tests/corpus/make_corpus.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    os.makedirs(os.path.join(HERE, kind), exist_ok=True)
    with open(os.path.join(HERE, kind, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- IDX (big-endian dims); every file here must be refused by read_idx, read_idx_images and read_idx_labels.
def idx(type_byte, dims, payload, rank=None):
    r = len(dims) if rank is None else rank
    return bytes([0, 0, type_byte, r]) + b"".join(struct.pack(">I", d) for d in dims) + payload

write("idx", "empty", b"")
write("idx", "shorter-than-magic", b"\x00\x00")
write("idx", "bad-magic", b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00")
write("idx", "float-element-type", idx(0x0D, [2], b"\x00" * 8))
write("idx", "rank-0", idx(0x08, [], b""))
write("idx", "rank-5", idx(0x08, [1, 1, 1, 1, 1], b"\x00"))
write("idx", "rank-255-no-dims", b"\x00\x00\x08\xff")
write("idx", "truncated-header", idx(0x08, [2, 2], b"", rank=3))
write("idx", "truncated-payload", idx(0x08, [2, 2, 2], b"\x00" * 5))
write("idx", "trailing-bytes", idx(0x08, [2, 2, 2], b"\x00" * 9))
write("idx", "zero-dim-with-trailing-bytes", idx(0x08, [0, 28, 28], b"\x00"))
write("idx", "huge-dims-2^96", idx(0x08, [0xFFFFFFFF] * 3, b""))
write("idx", "huge-dims-2^62", idx(0x08, [0x80000000, 0x80000000], b"\x00" * 16))
write("idx", "huge-count-60000x28x28-in-10-bytes", idx(0x08, [60000, 28, 28], b"\x00" * 10))


# ---- Checkpoints (little-endian), against the model of test_corpus.cpp: prefix "m", a Sequential of
# Linear(2 -> 3), Dropout, Linear(3 -> 1); its Adam optimizer under prefix "o".
def fnv1a(b):
    h = 1469598103934665603
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h

def tensor(name, dims, values=None, scalar=4, rank=None):
    n = 1
    for d in dims:
        n *= d
    if values is None:
        values = [0.25] * n
    fmt = "<f" if scalar == 4 else "<d"
    body = b"".join(struct.pack(fmt, v) for v in values)
    r = len(dims) if rank is None else rank
    return (b"\x01" + struct.pack("<I", len(name)) + name.encode() + bytes([scalar, r]) +
            b"".join(struct.pack("<Q", d) for d in dims) + body)

def text(name, t):
    t = t.encode() if isinstance(t, str) else t
    return b"\x02" + struct.pack("<I", len(name)) + name.encode() + struct.pack("<Q", len(t)) + t

def payload(entries, count=None):
    return struct.pack("<I", len(entries) if count is None else count) + b"".join(entries)

def ckpt(p, version=1, size=None, checksum=None, magic=b"GANPPCKP"):
    return (magic + struct.pack("<I", version) + struct.pack("<Q", len(p) if size is None else size) +
            struct.pack("<Q", fnv1a(p) if checksum is None else checksum) + p)

RNG_OK = " ".join(str(i + 1) for i in range(312)) + " 312 0 0x0p+0"
PARAMS = [("m.0.weight", [3, 2]), ("m.0.bias", [3]), ("m.2.weight", [1, 3]), ("m.2.bias", [1])]

def model_entries(**over):
    out = []
    for name, dims in PARAMS:
        out.append(over.get(name, tensor(name, dims)))
    out.append(over.get("m.rng", text("m.rng", "\n" + RNG_OK + "\n\n")))
    return out

def opt_entries(**over):
    out = [over.get("o.kind", text("o.kind", "Adam")), over.get("o.step", text("o.step", "3")),
           over.get("o.tensors", text("o.tensors", "8"))]
    for slot in ("exp_avg", "exp_avg_sq"):
        for name, dims in PARAMS:
            full = "o." + slot + "." + name[2:]
            out.append(over.get(full, tensor(full, dims)))
    return out

def good(**over):
    return model_entries(**over) + opt_entries(**over)

valid = payload(good())
write("checkpoint", "empty", b"")
write("checkpoint", "shorter-than-header", ckpt(valid)[:20])
write("checkpoint", "bad-magic", ckpt(valid, magic=b"GANPPCKQ"))
write("checkpoint", "version-0", ckpt(valid, version=0))
write("checkpoint", "newer-version-2", ckpt(valid, version=2))
write("checkpoint", "truncated", ckpt(valid)[:-7])
write("checkpoint", "trailing-bytes", ckpt(valid) + b"\x00\x01")
write("checkpoint", "bad-checksum", ckpt(valid, checksum=fnv1a(valid) ^ 1))
write("checkpoint", "payload-size-2^63", ckpt(valid, size=1 << 63))
write("checkpoint", "bit-flip-in-payload", ckpt(valid)[:100] + bytes([ckpt(valid)[100] ^ 0x20]) + ckpt(valid)[101:])
# Well-formed header and checksum, malformed entries.
write("checkpoint", "entry-count-2^32-1", ckpt(payload(good(), count=0xFFFFFFFF)))
write("checkpoint", "unknown-entry-kind", ckpt(payload([b"\x07" + text("t", "x")[1:]])))
write("checkpoint", "duplicate-entry", ckpt(payload(good() + [text("o.kind", "Adam")])))
write("checkpoint", "scalar-size-3", ckpt(payload([tensor("x", [1], scalar=4)[:6] + b"\x03" + tensor("x", [1])[7:]])))
write("checkpoint", "rank-5", ckpt(payload([tensor("x", [1, 1, 1, 1, 1])])))
write("checkpoint", "dims-larger-than-file", ckpt(payload([tensor("x", [1 << 40, 1 << 40], values=[])])))
write("checkpoint", "dims-product-overflows", ckpt(payload([tensor("x", [1 << 32, 1 << 32, 1 << 32], values=[])])))
write("checkpoint", "tensor-values-truncated", ckpt(payload([tensor("x", [4], values=[1.0, 2.0])])))
write("checkpoint", "name-length-2^32-1", ckpt(payload([b"\x02" + struct.pack("<I", 0xFFFFFFFF) + b"abc"])))
write("checkpoint", "text-length-2^64-1", ckpt(payload([b"\x02" + struct.pack("<I", 1) + b"t" + struct.pack("<Q", (1 << 64) - 1) + b"xyz"])))
write("checkpoint", "bytes-after-last-entry", ckpt(valid + b"\x00"))
# Well-formed files whose contents do not fit the model or optimizer.
write("checkpoint", "missing-parameter", ckpt(payload([e for e in good() if b"m.2.bias" not in e[:20]])))
write("checkpoint", "parameter-of-another-shape", ckpt(payload(good(**{"m.0.weight": tensor("m.0.weight", [2, 3])}))))
write("checkpoint", "parameter-float64", ckpt(payload(good(**{"m.0.bias": tensor("m.0.bias", [3], scalar=8)}))))
write("checkpoint", "parameter-nan", ckpt(payload(good(**{"m.0.bias": tensor("m.0.bias", [3], values=[0.0, float("nan"), 0.0])}))))
write("checkpoint", "parameter-infinite", ckpt(payload(good(**{"m.2.weight": tensor("m.2.weight", [1, 3], values=[float("inf"), 0.0, 0.0])}))))
write("checkpoint", "parameter-stored-as-text", ckpt(payload(good(**{"m.2.bias": text("m.2.bias", "0.5")}))))
write("checkpoint", "rng-stored-as-tensor", ckpt(payload(good(**{"m.rng": tensor("m.rng", [1])}))))
write("checkpoint", "rng-missing-layer-lines", ckpt(payload(good(**{"m.rng": text("m.rng", "\n")}))))
write("checkpoint", "rng-all-zero-state", ckpt(payload(good(**{"m.rng": text("m.rng", "\n" + "0 " * 312 + "312 0 0x0p+0\n\n")}))))
write("checkpoint", "rng-garbage", ckpt(payload(good(**{"m.rng": text("m.rng", "\nnot a generator\n\n")}))))
write("checkpoint", "optimizer-kind-Sgd", ckpt(payload(good(**{"o.kind": text("o.kind", "Sgd")}))))
write("checkpoint", "optimizer-step-not-a-number", ckpt(payload(good(**{"o.step": text("o.step", "3x")}))))
write("checkpoint", "optimizer-step-negative", ckpt(payload(good(**{"o.step": text("o.step", "-1")}))))
write("checkpoint", "optimizer-step-2^63-1", ckpt(payload(good(**{"o.step": text("o.step", "9223372036854775807")}))))
write("checkpoint", "optimizer-step-overflows-int64", ckpt(payload(good(**{"o.step": text("o.step", "99999999999999999999")}))))
write("checkpoint", "optimizer-tensor-count-7", ckpt(payload(good(**{"o.tensors": text("o.tensors", "7")}))))
write("checkpoint", "optimizer-slot-of-another-shape", ckpt(payload(good(**{"o.exp_avg.0.bias": tensor("o.exp_avg.0.bias", [4])}))))


# ---- Rng::set_state() texts.
words = " ".join(str(i + 1) for i in range(312))
write("rng_state", "empty", "")
write("rng_state", "words-only", words)
write("rng_state", "311-words", " ".join(str(i + 1) for i in range(311)) + " 0 0x0p+0")
write("rng_state", "non-numeric-word", "x " + words[2:] + " 312 0 0x0p+0")
write("rng_state", "word-above-2^64", "18446744073709551616 " + words[2:] + " 312 0 0x0p+0")
write("rng_state", "all-zero-words", "0 " * 312 + "312 0 0x0p+0")
# Found by fuzz_rng_state (a timeout: normal() looped forever): only unused low bits of the oldest word set.
write("rng_state", "low-bits-only-position-0", "1 " + "0 " * 311 + "0 0 0x0p+0")
write("rng_state", "spare-flag-2", words + " 312 2 0x0p+0")
write("rng_state", "spare-missing", words + " 312 1")
write("rng_state", "spare-garbage", words + " 312 1 garbage")
write("rng_state", "spare-nan", words + " 312 1 nan")
write("rng_state", "spare-infinite", words + " 312 1 inf")
write("rng_state", "spare-half-number", words + " 312 1 0x1.8p+0zz")
write("rng_state", "trailing-text", words + " 312 0 0x0p+0 extra")


# ---- BatchLoader::set_state() texts, against a loader of 10 images in batches of 3 (3 batches per epoch).
def loader(tag="ganpp-batch-loader", version="1", count="10", batch="3", epoch="0", position="0", rng=RNG_OK, sep=" "):
    return sep.join([tag, version, "count", count, "batch", batch, "epoch", epoch, "position", position, "rng", rng])

write("batch_loader_state", "empty", "")
write("batch_loader_state", "wrong-tag", loader(tag="ganpp-loader"))
write("batch_loader_state", "version-2", loader(version="2"))
write("batch_loader_state", "other-count", loader(count="11"))
write("batch_loader_state", "other-batch", loader(batch="4"))
write("batch_loader_state", "epoch-negative", loader(epoch="-1"))
write("batch_loader_state", "epoch-2^63-1", loader(epoch="9223372036854775807", position="3"))
write("batch_loader_state", "epoch-2^62+1", loader(epoch="4611686018427387905"))
write("batch_loader_state", "epoch-overflows-int64", loader(epoch="99999999999999999999"))
write("batch_loader_state", "position-4-of-3", loader(position="4"))
write("batch_loader_state", "position-negative", loader(position="-1"))
write("batch_loader_state", "rng-missing", loader(rng=""))
write("batch_loader_state", "rng-all-zero", loader(rng="0 " * 312 + "312 0 0x0p+0"))
write("batch_loader_state", "rng-trailing-text", loader(rng=RNG_OK + " extra"))
write("batch_loader_state", "fields-out-of-order", loader().replace("count 10 batch 3", "batch 3 count 10"))


# ---- The same inputs without a defect: test_corpus.cpp requires each to be accepted, so that every malformed file
# above is refused for its defect and not for something the generator got wrong.
write("valid", "idx", idx(0x08, [2, 2, 2], b"\x00" * 8))
write("valid", "checkpoint", ckpt(valid))
write("valid", "rng_state", words + " 312 1 0x1.8p+0")
write("valid", "batch_loader_state", loader(epoch="5", position="3"))
