#!/usr/bin/env python3
"""make_corpora.py — writes the small seed corpora for the fuzz targets (tests/fuzz/corpus_*).
Run from anywhere; the files are committed, this records how they were made."""
import os, struct, zlib

here = os.path.dirname(os.path.abspath(__file__))

def put(folder, name, data):
    d = os.path.join(here, folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# IDX: 3 images of 2x2 + 3 labels; first byte = split point (and bit 0 = gzip).
images = bytes([0, 0, 8, 3]) + struct.pack(">III", 3, 2, 2) + bytes(range(12))
labels = bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes([0, 9, 4])
put("corpus_idx", "raw", bytes([92 << 1]) + images + labels)
put("corpus_idx", "gz", bytes([92 << 1 | 1]) + images + labels)
put("corpus_idx", "unlabeled", bytes([254]) + images)

# CIFAR: records of label byte(s) + 3072 pixels.
rec10 = lambda label: bytes([label]) + bytes((i * 7) & 255 for i in range(3072))
put("corpus_cifar", "cifar10", bytes([0]) + rec10(3) + rec10(9))
put("corpus_cifar", "cifar100", bytes([1]) + bytes([5, 77]) + bytes(3072))
put("corpus_cifar", "cifar10_names", bytes([4]) + rec10(1) + b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n")

# STL-10: one 96x96x3 image (+ one label byte 1..10).
img = bytes((i * 3) & 255 for i in range(27648))
put("corpus_stl10", "train", bytes([1]) + img + bytes([4]))
put("corpus_stl10", "unlabeled", bytes([64]) + img)

# PNG: every color type and a few bit depths, one interlaced.
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

def png(w, h, depth, color, rows, interlace=0, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

put("corpus_png", "gray8", png(4, 3, 8, 0, [bytes([10 * x + y for x in range(4)]) for y in range(3)]))
put("corpus_png", "gray1", png(9, 2, 1, 0, [bytes([0xA5, 0x80])] * 2))
put("corpus_png", "gray16", png(2, 2, 16, 0, [bytes([1, 2, 3, 4])] * 2))
put("corpus_png", "gray_alpha", png(2, 2, 8, 4, [bytes([50, 255, 60, 0])] * 2))
put("corpus_png", "rgb", png(3, 2, 8, 2, [bytes(range(9)), bytes(range(9, 18))]))
put("corpus_png", "rgba16", png(1, 1, 16, 6, [bytes(range(8))]))
put("corpus_png", "palette", png(4, 2, 2, 3, [bytes([0x1B]), bytes([0xE4])],
                                 extra=chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 9, 9, 9]))
                                 + chunk(b"tRNS", bytes([0, 128]))))
put("corpus_png", "interlaced", png(1, 1, 8, 2, [bytes([1, 2, 3])], interlace=1))
