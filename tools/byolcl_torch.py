#!/usr/bin/env python3
"""byolcl_torch.py — a byolcl encoder in PyTorch, built from an exported file's metadata alone.

`byolcl export` writes safetensors with torchvision's ResNet state_dict() names; this module
reads it (no safetensors package needed), builds the matching module out of torchvision's own
BasicBlock / Bottleneck, loads every tensor strictly, and prepares images the way byolcl does
(uint8 pixels / 255, bilinear resize to the input size, per-channel mean/std from the file).

    from byolcl_torch import load_encoder, preprocess
    model, meta = load_encoder("encoder.safetensors")          # eval mode, BN running stats
    features = model(preprocess(images, meta))                  # images: uint8 (N, H, W[, C])

Command line: byolcl_torch.py FILE [IMAGES.npy | PNG ...] [--count N] prints the
architecture and the features of the first N images (uint8 .npy of (N, H, W[, C]), or PNGs).
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck

DTYPES = {"F32": np.float32, "I64": np.int64}
BLOCKS = {"resnet18": (BasicBlock, [2, 2, 2, 2]), "resnet50": (Bottleneck, [3, 4, 6, 3])}


def read_safetensors(path):
    """(name -> torch tensor, metadata dict) from a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    meta = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + length:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, meta


def _ints(text):
    return [int(v) for v in text.split(",")]


def _head(sizes):
    """nn.Sequential(Linear, BatchNorm1d, ReLU, Linear): byolcl's MLP head, names 0/1/3."""
    inp, hidden, out = sizes
    return nn.Sequential(nn.Linear(inp, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out))


class ByolclEncoder(nn.Module):
    """The ResNet byolcl trained, with torchvision's module names: conv1, bn1, layer1..layerN;
    forward gives the globally average-pooled features (what byolcl eval and features use)."""

    def __init__(self, meta):
        super().__init__()
        arch, width = meta["architecture"], int(meta["width"])
        block, counts = BLOCKS.get(arch, (BasicBlock, [1] * int(meta["stages"])))
        small = meta["stem"] == "3x3"
        self.conv1 = nn.Conv2d(int(meta["input_channels"]), width, 3 if small else 7, 1 if small else 2,
                               1 if small else 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width, eps=float(meta["bn_eps"]))
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small else nn.MaxPool2d(3, 2, 1)
        self.stages = len(counts)
        channels = width
        for s, count in enumerate(counts):
            planes, layers = width << s, []
            for b in range(count):
                stride = 2 if s > 0 and b == 0 else 1
                down = None
                if stride != 1 or channels != planes * block.expansion:
                    down = nn.Sequential(nn.Conv2d(channels, planes * block.expansion, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes * block.expansion))
                layers.append(block(channels, planes, stride, down))
                channels = planes * block.expansion
            setattr(self, f"layer{s + 1}", nn.Sequential(*layers))
        if "projector" in meta:
            self.projector = _head(_ints(meta["projector"]))
        if "predictor" in meta:
            self.predictor = _head(_ints(meta["predictor"]))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


def load_encoder(path):
    """(module in eval mode with every tensor of `path` loaded strictly, metadata)."""
    tensors, meta = read_safetensors(path)
    model = ByolclEncoder(meta)
    model.load_state_dict(tensors, strict=True)
    return model.eval(), meta


def preprocess(images, meta):
    """uint8 (N, H, W) or (N, H, W, C) -> float32 (N, C, S, S) exactly as byolcl feeds its
    encoder: / 255, bilinear resize with half-pixel centres when H, W != S, (x - mean) / std."""
    x = torch.tensor(np.asarray(images))  # a copy: dataset arrays are often read-only
    if x.dim() == 3:
        x = x.unsqueeze(-1)
    x = x.permute(0, 3, 1, 2).float() / 255.0
    size = int(meta["input_size"])
    if x.shape[-2:] != (size, size):
        x = nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
    mean = torch.tensor([float(v) for v in meta["mean"].split(",")]).view(1, -1, 1, 1)
    std = torch.tensor([float(v) for v in meta["std"].split(",")]).view(1, -1, 1, 1)
    return (x - mean) / std


def _read_images(paths):
    if len(paths) == 1 and paths[0].endswith(".npy"):
        return np.load(paths[0])
    from PIL import Image
    return np.stack([np.asarray(Image.open(p)) for p in paths])


def main():
    parser = argparse.ArgumentParser(description="Load a `byolcl export` file into PyTorch and print features.")
    parser.add_argument("file", help="the .safetensors file byolcl export wrote")
    parser.add_argument("images", nargs="*", help="uint8 images: one .npy of (N, H, W[, C]) or PNG files")
    parser.add_argument("--count", type=int, default=4, help="images to print features of")
    args = parser.parse_args()
    model, meta = load_encoder(args.file)
    keys = ("architecture", "width", "stem", "input_size", "input_channels", "mean", "std", "steps_trained")
    print("encoder:", ", ".join(f"{k} {meta[k]}" for k in keys if k in meta))
    if not args.images:
        return 0
    images = _read_images(args.images)[:args.count]
    with torch.no_grad():
        features = model(preprocess(images, meta))
    print(f"features: {tuple(features.shape)}")
    for i, row in enumerate(features):
        print(f"  image {i}: " + " ".join(f"{v:.4f}" for v in row[:8].tolist()) + (" ..." if len(row) > 8 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
