"""Writes the first N training images and labels of an IDX directory (and its test files) to a
new directory, as uncompressed IDX: a run of exactly N / batch steps for the distributed tests.

Usage: make_subset.py SOURCE_DIR N OUTPUT_DIR
"""
import gzip
import os
import struct
import sys

source, count, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(output, exist_ok=True)


def read(name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(source, candidate)
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                return f.read()
    sys.exit(f"{source}: no {name}")


for name, keep in [("train-images-idx3-ubyte", count), ("train-labels-idx1-ubyte", count),
                   ("t10k-images-idx3-ubyte", None), ("t10k-labels-idx1-ubyte", None)]:
    data = read(name)
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    n = shape[0] if keep is None else min(keep, shape[0])
    per_item = 1
    for d in shape[1:]:
        per_item *= d
    header = data[:4] + struct.pack(">" + "I" * dims, n, *shape[1:])
    with open(os.path.join(output, name), "wb") as f:
        f.write(header + data[4 + 4 * dims:4 + 4 * dims + n * per_item])
