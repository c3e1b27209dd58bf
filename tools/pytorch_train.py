#!/usr/bin/env python3
"""pytorch_train.py — byolcl's BYOL recipe in plain PyTorch on the CPU, for parity runs (issue 23):
the same small ResNet and heads (built by tools/byolcl_torch.py, so byolcl's exported weights load
strictly), byolcl's augmentations re-implemented from src/augment and cl/augment.cl, SGD / LARS with
byolcl's weight-decay mask (src/byol/optimizer.c), byolcl's schedules (src/byol/schedule.c), the EMA
target, and an evaluation that follows src/eval (kNN k 200, T 0.1, cosine; linear probes on
standardized features at 100 / 10 / 1% of the labels). Every place where PyTorch BYOL code usually
differs from byolcl is a flag whose default is byolcl's choice (docs/parity.md lists them):

  --bn-views separate|concat   BN statistics per view or one pass over both views (byolcl's default)
  --init byolcl-scheme|torch   byolcl's init rules (kaiming-normal fan-out convs, U(+-1/sqrt(fan_in))
                               linears) with torch's RNG, or PyTorch's module defaults;
                               --init-from FILE loads byolcl's exact weights (`byolcl export --with-heads`)
  --wd-mask weights|all        decay (and LARS-adapt) conv/linear weights only (byolcl), or every parameter
  --target-bn train|eval       the target's BN on batch statistics (byolcl) or on its running statistics
  --aug byolcl|torchvision     byolcl's augmentation re-implemented, or torchvision.transforms per image
  --loss sum|mean              the two views' loss terms added (byolcl) or averaged
  --tau-schedule cosine|constant  tau from --tau-base to 1 on a cosine (byolcl) or fixed (byol-pytorch)
  --schedule-unit step|epoch   lr and tau change every step (byolcl) or once per epoch

    tools/pytorch_train.py --epochs 5 --optimizer sgd --lr 0.3 --wd 1e-5 --tau-base 0.99 --stages 3 \\
        --bn-views separate --warmup-epochs 0 --aug-crop-area 0.3,1 --aug-blur-prob 0 --aug-solarize-prob 0.2 --out /tmp/pt
    tools/pytorch_train.py --eval-only DIR   # DIR holds train.npy train_labels.npy test.npy test_labels.npy

The last mode also evaluates `byolcl features` output, so this evaluation can be checked against
`byolcl eval` on the same encoder. Subsets of the labels are class-balanced but drawn with numpy,
not byolcl's splitmix64 streams (src/eval/label_subset.c), so the 10% / 1% rows see other images.
"""
import argparse
import copy
import gzip
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_python import reexec_if_missing  # noqa: E402

if not reexec_if_missing(["numpy", "torch"]):
    sys.exit("pytorch_train: needs numpy and torch (Debian: python3-torch python3-numpy)")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from byolcl_torch import ByolclEncoder, read_safetensors  # noqa: E402  (the shared builder)

DATA = "/usr/share/datasets/fashion-mnist"
PER_VIEW_DEFAULTS = ("blur_prob", "solarize_prob")  # T and T' differ only here (augment_config.c:24)


# ---------------------------------------------------------------- data

def read_idx(path):
    with gzip.open(path, "rb") as f:
        blob = f.read()
    dims = blob[3]
    shape = [int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(folder, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return images, labels


def evenly_spaced(count, wanted):
    """byolcl's --max-train / --max-test: `wanted` indices evenly spaced through the split."""
    if wanted <= 0 or wanted >= count:
        return np.arange(count)
    return (np.arange(wanted) * count) // wanted


# ---------------------------------------------------------------- augmentation (src/augment, cl/augment.cl)

def draw_crop(rng, h, w, area_range, aspect_range):
    """torchvision's RandomResizedCrop.get_params with round-half-even, as augment_params.c:89."""
    area = h * w
    log_lo, log_hi = math.log(aspect_range[0]), math.log(aspect_range[1])
    for _ in range(10):
        target = area * rng.uniform(*area_range)
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            return rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1), cw, ch
    ratio, cw, ch = w / h, w, h
    if ratio < aspect_range[0]:
        ch = int(round(w / aspect_range[0]))
    elif ratio > aspect_range[1]:
        cw = int(round(h * aspect_range[1]))
    return (w - cw) // 2, (h - ch) // 2, max(cw, 1), max(ch, 1)


def crop_flip(images, boxes, flips, size):
    """Bilinear sampling of each crop box, half-pixel centres clamped to the box, flip applied to
    the output column (cl/augment.cl:109 sample_crop). images (N, H, W) float in [0, 1]."""
    n = images.shape[0]
    x0, y0, cw, ch = (torch.tensor(boxes[:, k], dtype=torch.float32) for k in range(4))
    o = torch.arange(size, dtype=torch.float32)
    ox = torch.where(torch.tensor(flips)[:, None], size - 1 - o[None, :], o[None, :])
    sx = torch.minimum(torch.clamp((ox + 0.5) * (cw[:, None] / size) - 0.5, min=0), (cw - 1)[:, None])
    sy = torch.minimum(torch.clamp((o[None, :] + 0.5) * (ch[:, None] / size) - 0.5, min=0), (ch - 1)[:, None])
    ix, iy = sx.floor(), sy.floor()
    lx, ly = sx - ix, sy - iy
    ix1 = torch.minimum(ix + 1, (cw - 1)[:, None])
    iy1 = torch.minimum(iy + 1, (ch - 1)[:, None])
    xa, xb = (x0[:, None] + ix).long(), (x0[:, None] + ix1).long()
    ya, yb = (y0[:, None] + iy).long(), (y0[:, None] + iy1).long()
    b = torch.arange(n)[:, None, None]

    def at(ys, xs):
        return images[b, ys[:, :, None], xs[:, None, :]]
    top = (1 - lx[:, None, :]) * at(ya, xa) + lx[:, None, :] * at(ya, xb)
    bottom = (1 - lx[:, None, :]) * at(yb, xa) + lx[:, None, :] * at(yb, xb)
    return (1 - ly[:, :, None]) * top + ly[:, :, None] * bottom


def jitter(x, on, brightness, contrast, order):
    """Brightness and contrast in the image's random op order (saturation and hue are no-ops on
    gray data); contrast blends with the image mean as it is when contrast runs (augment.cl:191)."""
    for k in range(4):
        b = (on & (order[:, k] == 0))[:, None, None]
        x = torch.where(b, (x * brightness[:, None, None]).clamp(0, 1), x)
        c = (on & (order[:, k] == 1))[:, None, None]
        mean = x.mean(dim=(1, 2), keepdim=True)
        f = contrast[:, None, None]
        x = torch.where(c, (f * x + (1 - f) * mean).clamp(0, 1), x)
    return x


def blur(x, on, sigma, radius):
    """Separable Gaussian, torchvision's taps normalized to 1, reflect padding (augment_params.c:68)."""
    k = torch.arange(-radius, radius + 1, dtype=torch.float32)
    w = torch.exp(-0.5 * (k[None, :] / sigma[:, None]) ** 2)
    w = w / w.sum(dim=1, keepdim=True)
    out = x
    for dim in (2, 1):  # rows, then columns
        padded = F.pad(out.unsqueeze(1), (radius, radius, 0, 0) if dim == 2 else (0, 0, radius, radius),
                       mode="reflect").squeeze(1)
        size = out.shape[dim]
        acc = torch.zeros_like(out)
        for t in range(2 * radius + 1):
            acc += w[:, t, None, None] * padded.narrow(dim, t, size)
        out = acc
    return torch.where(on[:, None, None], out, x)


class ByolclAugment:
    """One view's distribution T or T' (augment_config.c:11), drawn with numpy instead of
    byolcl's Philox streams: the same distributions, other samples."""

    def __init__(self, a, view, rng):
        self.rng, self.size = rng, 28

        def pick(name):  # --augV-NAME, else --aug-NAME (whose defaults may differ per view)
            own, both = getattr(a, f"aug{view + 1}_{name}"), getattr(a, f"aug_{name}")
            if own is not None:
                return own
            return both[view] if name in PER_VIEW_DEFAULTS and isinstance(both, list) else both
        self.area, self.aspect = pick("crop_area"), pick("crop_aspect")
        self.flip, self.jitter_prob = pick("flip_prob"), pick("jitter_prob")
        self.brightness, self.contrast = pick("brightness"), pick("contrast")
        self.blur_prob, self.sigma = pick("blur_prob"), pick("blur_sigma")
        self.solarize_prob, self.threshold = pick("solarize_prob"), a.aug_solarize_threshold
        side = self.size
        ksize = int(a.aug_blur_kernel_fraction * side)  # augment_blur_radius, augment_params.c:55
        ksize = max(ksize + (ksize % 2 == 0), 3)
        self.radius = ksize // 2
        self.mean, self.std = a.aug_mean, a.aug_std

    def factor(self, n, strength):
        return self.rng.uniform(max(0.0, 1 - strength), 1 + strength, n) if strength > 0 else np.ones(n)

    def __call__(self, images_u8):
        n, h, w = images_u8.shape
        r = self.rng
        boxes = np.array([draw_crop(r, h, w, self.area, self.aspect) for _ in range(n)])
        x = crop_flip(torch.from_numpy(images_u8).float() / 255.0, boxes, r.random(n) < self.flip, self.size)
        on = torch.from_numpy(r.random(n) < self.jitter_prob)
        order = torch.from_numpy(np.stack([r.permutation(4) for _ in range(n)]))
        x = jitter(x, on, torch.tensor(self.factor(n, self.brightness), dtype=torch.float32),
                   torch.tensor(self.factor(n, self.contrast), dtype=torch.float32), order)
        blur_on = torch.from_numpy(r.random(n) < self.blur_prob)
        if self.blur_prob > 0:
            x = blur(x, blur_on, torch.tensor(r.uniform(*self.sigma, n), dtype=torch.float32), self.radius)
        sol = torch.from_numpy(r.random(n) < self.solarize_prob)[:, None, None]
        x = torch.where(sol & (x >= self.threshold), 1 - x, x)
        return ((x - self.mean) / self.std).unsqueeze(1)


class TorchvisionAugment:
    """The usual PyTorch pipeline, one image at a time through torchvision.transforms."""

    def __init__(self, a, view, rng):
        import torchvision.transforms as T
        inner = ByolclAugment(a, view, rng)
        ksize = 2 * inner.radius + 1
        self.t = T.Compose([
            T.RandomResizedCrop(28, scale=tuple(inner.area), ratio=tuple(inner.aspect)),
            T.RandomHorizontalFlip(inner.flip),
            T.RandomApply([T.ColorJitter(inner.brightness, inner.contrast)], p=inner.jitter_prob),
            T.RandomApply([T.GaussianBlur(ksize, tuple(inner.sigma))], p=inner.blur_prob),
            T.RandomSolarize(inner.threshold, p=inner.solarize_prob),
            T.Normalize([inner.mean], [inner.std])])

    def __call__(self, images_u8):
        x = torch.from_numpy(images_u8).float().unsqueeze(1) / 255.0
        return torch.stack([self.t(img) for img in x])


# ---------------------------------------------------------------- model

def build_online(a):
    """ByolclEncoder with projector and predictor, from an export or from a metadata dict."""
    meta = {"architecture": "small", "width": a.width, "stem": "3x3", "input_channels": 1, "bn_eps": 1e-5,
            "stages": a.stages, "projector": f"{a.width << (a.stages - 1)},{a.proj_hidden},{a.proj_out}",
            "predictor": f"{a.proj_out},{a.proj_hidden},{a.proj_out}"}
    if a.init_from:
        tensors, file_meta = read_safetensors(a.init_from)
        if "predictor" not in file_meta:
            sys.exit(f"pytorch_train: {a.init_from} has no heads: export it with `byolcl export --with-heads`")
        model = ByolclEncoder(file_meta)
        model.load_state_dict(tensors, strict=True)
        for m in model.modules():  # the export's running stats saw a step; BN trains on batch stats anyway
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.reset_running_stats()
        return model
    model = ByolclEncoder(meta)
    if a.init == "byolcl-scheme":  # include/byolcl/arena.h:40 InitKind, src/nn/arena.c:101-127
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.uniform_(m.bias, -bound, bound)
    return model


def forward_views(parts, views, concat):
    """Each view through its own forward (byolcl: its own BN statistics), or both in one pass."""
    def run(x):
        for p in parts:
            x = p(x)
        return x
    if concat:
        return list(run(torch.cat(views)).chunk(2))
    return [run(v) for v in views]


def byol_loss(p, z):
    """mean over the batch of 2 - 2 cos(p, z) (cl/loss.cl:20)."""
    return (2 - 2 * F.cosine_similarity(p, z, dim=-1, eps=1e-12)).mean()


# ---------------------------------------------------------------- optimizer (include/byolcl/optimizer.h)

class Optimizer:
    """SGD (d = g + wd w; v = m v + d; w -= lr v) or LARS (u = g + wd w; u *= eta |w|/|u|;
    t = -lr u + m t; w += t), decay and adaptation on the `masked` parameters only."""

    def __init__(self, named, kind, wd, momentum, eta, mask):
        self.params = [p for _, p in named]
        # byolcl: PARAM_WEIGHT entries = conv and linear weights (src/nn/arena.c:101,110)
        self.masked = [mask == "all" or (name.endswith("weight") and p.dim() > 1) for name, p in named]
        self.kind, self.wd, self.m, self.eta = kind, wd, momentum, eta
        self.buf = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, lr):
        for p, masked, buf in zip(self.params, self.masked, self.buf):
            u = p.grad + self.wd * p if masked else p.grad.clone()
            if self.kind == "sgd":
                buf.mul_(self.m).add_(u)
                p.sub_(lr * buf)
                continue
            if masked:
                wn, un = p.norm(), u.norm()
                if wn > 0 and un > 0:
                    u *= self.eta * wn / un
            buf.mul_(self.m).add_(u, alpha=-lr)
            p.add_(buf)


def learning_rate_at(a, step, warmup, total):  # src/byol/schedule.c:19
    peak = a.lr * a.batch / 256.0
    if step < warmup:
        return peak * step / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * min(step - warmup, total - warmup) / max(total - warmup, 1)))


def tau_at(tau_base, step, total):  # src/byol/schedule.c:25
    if tau_base == 0:
        return 0.0
    return 1 - (1 - tau_base) * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


# ---------------------------------------------------------------- evaluation (src/eval)

@torch.no_grad()
def features(encoder, images, a):
    encoder.eval()
    out = [encoder(((torch.from_numpy(images[i:i + 256]).float() / 255.0 - a.aug_mean) / a.aug_std).unsqueeze(1))
           for i in range(0, len(images), 256)]
    return torch.cat(out).numpy()


def knn_accuracy(train, train_labels, test, test_labels, k=200, temperature=0.1):
    """Weighted kNN (src/eval/knn.c): cosine, the k most similar vote exp(sim / T)."""
    tr = F.normalize(torch.from_numpy(train).double(), dim=1).float()
    te = F.normalize(torch.from_numpy(test).double(), dim=1).float()
    labels = torch.from_numpy(train_labels)
    classes, hits = int(labels.max()) + 1, 0
    for i in range(0, len(te), 256):
        sims, idx = (te[i:i + 256] @ tr.T).topk(min(k, len(tr)), dim=1)
        votes = torch.zeros(len(sims), classes, dtype=torch.float64)
        votes.scatter_add_(1, labels[idx], torch.exp(sims.double() / temperature))
        hits += int((votes.argmax(1).numpy() == test_labels[i:i + 256]).sum())
    return 100.0 * hits / len(te)


def probe_accuracy(train, train_labels, test, test_labels, rows, epochs=100, batch=256, lr=0.1, wd=1e-4, seed=0):
    """Linear probe (src/eval/linear_probe.c): standardized features (train statistics,
    standardize.c), softmax regression, SGD momentum 0.9, wd on the weights, cosine lr per step."""
    mean, std = train.mean(0), train.std(0)
    std[std == 0] = 1
    x = torch.from_numpy((train[rows] - mean) / std).float()
    y = torch.from_numpy(train_labels[rows])
    xt = torch.from_numpy((test - mean) / std).float()
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the layer's initialization
    classes = int(train_labels.max()) + 1
    layer = nn.Linear(x.shape[1], classes)
    opt = Optimizer(list(layer.named_parameters()), "sgd", wd, 0.9, 0, "weights")
    steps_per_epoch = (len(x) + batch - 1) // batch
    total, t = epochs * steps_per_epoch, 0
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for s in range(steps_per_epoch):
            take = order[s * batch:(s + 1) * batch]
            layer.zero_grad()
            F.cross_entropy(layer(x[take]), y[take]).backward()
            opt.step(lr * 0.5 * (1 + math.cos(math.pi * t / total)))
            t += 1
    with torch.no_grad():
        return 100.0 * float((layer(xt).argmax(1).numpy() == test_labels).mean())


def class_balanced(labels, fraction, seed):
    """label_subset.c's sizes (round(fraction * labeled / classes) per class), numpy's draw."""
    if fraction >= 1:
        return np.arange(len(labels))
    classes = np.unique(labels)
    per_class = max(1, int(round(fraction * len(labels) / len(classes))))
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]))


def evaluate(name, train, train_labels, test, test_labels, fractions, probe_epochs):
    row = {"name": name, "knn": knn_accuracy(train, train_labels, test, test_labels)}
    for f in fractions:
        row[f"probe_{f:g}"] = probe_accuracy(train, train_labels, test, test_labels,
                                             class_balanced(train_labels, f, 0), epochs=probe_epochs)
    print(f"{name}: kNN {row['knn']:.2f} | " + " | ".join(f"probe {100 * f:g}% {row[f'probe_{f:g}']:.2f}"
                                                         for f in fractions), flush=True)
    return row


# ---------------------------------------------------------------- training

def parse_pair(text):
    lo, hi = (float(v) for v in text.split(","))
    return [lo, hi]


def arguments():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--out", help="folder for encoder.pt, features (.npy) and results.json")
    ap.add_argument("--eval-only", metavar="DIR", help="evaluate DIR/{train,test}.npy and *_labels.npy; no training")
    ap.add_argument("--epochs", type=float, default=5)
    ap.add_argument("--steps", type=int, default=0, help="train this many steps instead of --epochs")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--max-train-images", type=int, default=0, help="train on the first N images (smoke tests)")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--stages", type=int, default=4, help="residual stages (byolcl's small: 4)")
    ap.add_argument("--proj-hidden", type=int, default=512)
    ap.add_argument("--proj-out", type=int, default=128)
    ap.add_argument("--optimizer", choices=["sgd", "lars"], default="lars")
    ap.add_argument("--lr", type=float, help="base lr per 256 images (byolcl: lars 1.0, sgd 0.1)")
    ap.add_argument("--wd", type=float, help="weight decay (byolcl: lars 1e-5, sgd 5e-4)")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--lars-eta", type=float, default=0.02)
    ap.add_argument("--tau-base", type=float, default=0.99, help="byolcl: 0.99 for images <= 64 px")
    ap.add_argument("--warmup-epochs", type=float, help="byolcl: 10 epochs, at most a tenth of the run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--bn-views", choices=["separate", "concat"], default="separate")
    ap.add_argument("--init", choices=["byolcl-scheme", "torch"], default="byolcl-scheme")
    ap.add_argument("--init-from", metavar="FILE", help="`byolcl export --with-heads` file: byolcl's exact weights")
    ap.add_argument("--wd-mask", choices=["weights", "all"], default="weights")
    ap.add_argument("--target-bn", choices=["train", "eval"], default="train")
    ap.add_argument("--aug", choices=["byolcl", "torchvision"], default="byolcl")
    ap.add_argument("--loss", choices=["sum", "mean"], default="sum")
    ap.add_argument("--tau-schedule", choices=["cosine", "constant"], default="cosine")
    ap.add_argument("--schedule-unit", choices=["step", "epoch"], default="step")
    # byolcl's --aug-* flags (augment_config.c:11 defaults; list = [view 1, view 2])
    ap.add_argument("--aug-crop-area", type=parse_pair, default=[0.3, 1.0], help="byolcl: 0.3,1 for images <= 64 px")
    ap.add_argument("--aug-crop-aspect", type=parse_pair, default=[3 / 4, 4 / 3])
    ap.add_argument("--aug-flip-prob", type=float, default=0.5)
    ap.add_argument("--aug-jitter-prob", type=float, default=0.8)
    ap.add_argument("--aug-brightness", type=float, default=0.4)
    ap.add_argument("--aug-contrast", type=float, default=0.4)
    ap.add_argument("--aug-blur-prob", type=float, default=[0.0, 0.0], help="byolcl: none for images <= 64 px")
    ap.add_argument("--aug-blur-sigma", type=parse_pair, default=[0.1, 2.0])
    ap.add_argument("--aug-solarize-prob", type=float, default=[0.0, 0.2])
    ap.add_argument("--aug-solarize-threshold", type=float, default=0.5)
    ap.add_argument("--aug-blur-kernel-fraction", type=float, default=0.1)
    ap.add_argument("--aug-mean", type=float, help="default: from 10000 evenly spaced train images, as byolcl")
    ap.add_argument("--aug-std", type=float, help="default: from the same images (population std)")
    for v in (1, 2):
        for key, kind in (("blur-prob", float), ("solarize-prob", float), ("crop-area", parse_pair),
                          ("crop-aspect", parse_pair), ("flip-prob", float), ("jitter-prob", float),
                          ("brightness", float), ("contrast", float), ("blur-sigma", parse_pair)):
            ap.add_argument(f"--aug{v}-{key}", type=kind, help=argparse.SUPPRESS)
    ap.add_argument("--fractions", default="1,0.1,0.01")
    ap.add_argument("--probe-epochs", type=int, default=100)
    ap.add_argument("--max-train", type=int, default=0, help="evaluate on N train images, evenly spaced")
    ap.add_argument("--max-test", type=int, default=0, help="evaluate on N test images, evenly spaced")
    ap.add_argument("--eval-init", action="store_true", help="also evaluate the encoder before training")
    a = ap.parse_args()
    if a.lr is None:
        a.lr = 1.0 if a.optimizer == "lars" else 0.1
    if a.wd is None:
        a.wd = 1e-5 if a.optimizer == "lars" else 5e-4
    return a


def eval_rows(a, encoder, splits, name, out_dir):
    fractions = [float(f) for f in a.fractions.split(",")]
    (tr_x, tr_y), (te_x, te_y) = splits
    tr, te = features(encoder, tr_x, a), features(encoder, te_x, a)
    if out_dir:
        for stem, array in (("train", tr), ("train_labels", tr_y), ("test", te), ("test_labels", te_y)):
            np.save(os.path.join(out_dir, f"{name}.{stem}.npy" if name != "trained" else f"{stem}.npy"), array)
    return evaluate(name, tr, tr_y, te, te_y, fractions, a.probe_epochs)


def train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    images, _ = load_split(a.data, "train")
    if a.max_train_images > 0:
        images = images[:a.max_train_images]
    splits = []
    for split, limit in (("train", a.max_train), ("test", a.max_test)):
        x, y = load_split(a.data, split)
        keep = evenly_spaced(len(x), limit)
        splits.append((x[keep], y[keep]))
    if a.aug_mean is None or a.aug_std is None:  # trainer.c:84 fill_normalization
        full, _ = load_split(a.data, "train")
        sample = full[(np.arange(10000) * len(full)) // 10000].astype(np.float64) / 255.0
        a.aug_mean = float(sample.mean()) if a.aug_mean is None else a.aug_mean
        a.aug_std = float(sample.std()) if a.aug_std is None else a.aug_std
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    online = build_online(a)
    results = []
    if a.eval_init:
        results.append(eval_rows(a, online, splits, "init", a.out))
    target = copy.deepcopy(online)
    target.predictor = None
    for p in target.parameters():
        p.requires_grad_(False)
    aug_class = ByolclAugment if a.aug == "byolcl" else TorchvisionAugment
    augs = [aug_class(a, v, rng) for v in (0, 1)]
    steps_per_epoch = len(images) // a.batch  # drop_last, trainer.c:197
    total = a.steps if a.steps > 0 else int(round(a.epochs * steps_per_epoch))
    if a.warmup_epochs is None:
        warmup = min(10 * steps_per_epoch, total // 10)
    else:
        warmup = int(round(a.warmup_epochs * steps_per_epoch))
    named = [(n, p) for n, p in online.named_parameters()]
    opt = Optimizer(named, a.optimizer, a.wd, a.momentum, a.lars_eta, a.wd_mask)
    online_parts, target_parts = [online, online.projector, online.predictor], [target, target.projector]
    print(f"pytorch_train: torch {torch.__version__}, {len(images)} images, {total} steps of {a.batch} "
          f"({steps_per_epoch}/epoch), warmup {warmup}, {a.optimizer} lr {a.lr} wd {a.wd}, tau {a.tau_base}, "
          f"bn-views {a.bn_views}, init {a.init_from or a.init}, wd-mask {a.wd_mask}, target-bn {a.target_bn}, "
          f"aug {a.aug}, loss {a.loss}, tau {a.tau_schedule}, schedule per {a.schedule_unit}, normalize mean {a.aug_mean:.4f} std {a.aug_std:.4f}", flush=True)
    start, step, order, losses = time.time(), 0, [], []
    while step < total:
        if len(order) < a.batch:
            order = rng.permutation(len(images))
        take, order = order[:a.batch], order[a.batch:]
        batch = images[take]
        views = [aug(batch) for aug in augs]
        online.train()
        target.train(a.target_bn == "train")
        with torch.no_grad():
            z = forward_views(target_parts, views, a.bn_views == "concat")
        p = forward_views(online_parts, views, a.bn_views == "concat")
        loss = byol_loss(p[0], z[1]) + byol_loss(p[1], z[0])
        if a.loss == "mean":
            loss = loss / 2
        for q in online.parameters():
            q.grad = None
        loss.backward()
        at = step if a.schedule_unit == "step" else step - step % steps_per_epoch
        opt.step(learning_rate_at(a, at, warmup, total))
        tau = tau_at(a.tau_base, at, total) if a.tau_schedule == "cosine" else a.tau_base
        with torch.no_grad():  # EMA of the parameters, BN running statistics copied (src/byol/ema.c:29)
            for t, o in zip(target.parameters(), online.parameters()):
                t.mul_(tau).add_(o, alpha=1 - tau)
            for t, o in zip(target.buffers(), online.buffers()):
                t.copy_(o)
        losses.append(float(loss))
        step += 1
        if step % a.log_every == 0 or step == total:
            print(f"step {step}/{total} loss {np.mean(losses[-a.log_every:]):.4f} "
                  f"({time.time() - start:.0f} s)", flush=True)
    if a.out:
        torch.save(online.state_dict(), os.path.join(a.out, "encoder.pt"))
    results.append(eval_rows(a, online, splits, "trained", a.out))
    if a.out:
        with open(os.path.join(a.out, "results.json"), "w") as f:
            json.dump({"args": vars(a), "steps": total, "seconds": time.time() - start, "rows": results,
                       "losses": losses}, f, indent=1)
    return 0


def main():
    a = arguments()
    if a.eval_only:
        torch.set_num_threads(a.threads)
        load = lambda stem: np.load(os.path.join(a.eval_only, f"{stem}.npy"))  # noqa: E731
        evaluate(a.eval_only, load("train"), load("train_labels"), load("test"), load("test_labels"),
                 [float(f) for f in a.fractions.split(",")], a.probe_epochs)
        return 0
    return train(a)


if __name__ == "__main__":
    sys.exit(main())
