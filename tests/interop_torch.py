#!/usr/bin/env python3
"""interop_torch.py — the PyTorch side of interop_torch.sh: loads WORK/r18.safetensors into
torchvision's own resnet18 and WORK/{small,big}.safetensors through byolcl_torch.py, computes the
features of the images `byolcl features --max-images 64` used (evenly spaced through the
test split: image i * count // 64) from the same uint8 pixels with the same preprocessing,
and compares them with WORK/{r18,small}.npy. The measure: the largest, over images, of
max |torch - byolcl| / max |byolcl| within the image's feature row; it must stay under 1e-4.
Usage: interop_torch.py TOOLS_DIR FASHION_MNIST_DIR WORK"""
import gzip
import os
import sys

import numpy as np
import torch
import torchvision

LIMIT = 1e-4
IMAGES = 64


def idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def relative_difference(got, want):
    return float(np.max(np.abs(got - want).max(axis=1) / np.abs(want).max(axis=1)))


def main():
    tools, data, work = sys.argv[1:4]
    sys.path.insert(0, tools)
    from byolcl_torch import load_encoder, preprocess, read_safetensors

    pixels = idx(os.path.join(data, "t10k-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    labels = idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz"), 8)
    chosen = [i * len(pixels) // IMAGES for i in range(IMAGES)]
    images = pixels[chosen]
    torch.set_num_threads(min(4, os.cpu_count() or 1))
    failures = 0

    # ResNet-18: torchvision's own model, adapted to small images as byolcl's 3x3 stem is.
    tensors, meta = read_safetensors(os.path.join(work, "r18.safetensors"))
    resnet = torchvision.models.resnet18()
    resnet.conv1 = torch.nn.Conv2d(int(meta["input_channels"]), 64, 3, 1, 1, bias=False)
    resnet.maxpool = torch.nn.Identity()
    resnet.fc = torch.nn.Identity()
    resnet.load_state_dict(tensors, strict=True)
    models = [("r18", resnet.eval(), meta)]
    models += [(name,) + load_encoder(os.path.join(work, name + ".safetensors")) for name in ("small", "big")]
    for name, model, model_meta in models:
        with torch.no_grad():
            ours = model(preprocess(images, model_meta)).numpy()
        theirs = np.load(os.path.join(work, name + ".npy"))
        stored_labels = np.load(os.path.join(work, name + ".labels.npy"))
        if theirs.dtype != np.float32 or theirs.shape != ours.shape:
            print(f"FAIL {name}: byolcl features {theirs.dtype} {theirs.shape}, PyTorch {ours.shape}")
            failures += 1
            continue
        if stored_labels.dtype != np.int64 or not np.array_equal(stored_labels, labels[chosen]):
            print(f"FAIL {name}: labels.npy is not the test labels of the chosen images")
            failures += 1
        difference = relative_difference(ours, theirs)
        verdict = "ok" if difference < LIMIT else "FAIL"
        failures += verdict == "FAIL"
        print(f"{verdict} {name} ({model_meta['architecture']} {model_meta['stem']} at {model_meta['input_size']} px, "
              f"{model_meta['steps_trained']} steps): "
              f"{ours.shape[0]} images x {ours.shape[1]} features, max relative difference {difference:.3g} "
              f"(limit {LIMIT:g}), max abs difference {np.abs(ours - theirs).max():.3g}; "
              f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
