"""PyTorch reference for bench/run.ts --peer: the same feature-extraction work in PyTorch (CPU).

Same backbones with random weights (timing only), batch 16, 224 px, the same JPEG files:
decode (PIL, with libjpeg DCT scaling like sharp's shrink-on-load) + resize + normalise + forward.
Prints one JSON object: {"torch": version, "threads": n, "extract": {name: {...}}}.
Usage: python3 bench/peer_torch.py --images DIR --backbones mobilenet_v1_0.75,mobilenet_v2_1.0,vgg16 [--budget 20]
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torch import nn


def mobilenet_v1(alpha: float) -> nn.Module:
    """Keras' MobileNet v1 trunk (conv_pw_13_relu) + global average pooling."""
    def conv_bn(cin, cout, k, s, groups=1):
        return [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True)]

    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    c = int(32 * alpha)
    layers = conv_bn(3, c, 3, 2)
    for filters, stride in blocks:
        out = int(filters * alpha)
        layers += conv_bn(c, c, 3, stride, groups=c) + conv_bn(c, out, 1, 1)
        c = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


def build(name: str) -> nn.Module:
    if name.startswith('mobilenet_v1_'):
        return mobilenet_v1(float(name.split('_')[-1]))
    if name.startswith('mobilenet_v2_'):
        m = torchvision.models.mobilenet_v2(width_mult=float(name.split('_')[-1]))
        return nn.Sequential(m.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    if name == 'vgg16':
        return nn.Sequential(torchvision.models.vgg16().features, nn.Flatten())  # block5_pool, 25,088-d
    raise SystemExit(f'unknown backbone {name}')


def list_images(root: str) -> list:
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    per = [sorted(os.path.join(root, c, f) for f in os.listdir(os.path.join(root, c))) for c in classes]
    out = []
    for i in range(max(len(p) for p in per)):
        out += [p[i] for p in per if i < len(p)]
    return out


MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255


def decode(path: str, size: int) -> np.ndarray:
    img = Image.open(path)
    img.draft('RGB', (size, size))
    img = img.convert('RGB').resize((size, size), Image.BILINEAR)
    return (np.asarray(img, dtype=np.float32) - MEAN) / STD


def batch_tensor(arrays) -> torch.Tensor:
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def measure(name: str, files: list, batch: int, budget: float) -> dict:
    torch.manual_seed(1)
    model = build(name).eval()
    size = 224
    x = batch_tensor([decode(f, size) for f in files[:batch]])
    with torch.inference_mode():
        t = time.perf_counter()
        model(x[:2])
        per_image = (time.perf_counter() - t) / 2
        if per_image * batch < budget / 4:
            model(x)
        times = []
        start = time.perf_counter()
        while True:
            t = time.perf_counter()
            out = model(x)
            times.append(time.perf_counter() - t)
            if time.perf_counter() - start >= budget / 2 or len(times) >= 50:
                break
        forward = batch / statistics.median(times)
        count = min(len(files), max(batch, int(budget / 4 * forward / batch) * batch))
        passes = []
        start = time.perf_counter()
        while True:
            t = time.perf_counter()
            for i in range(0, count, batch):
                model(batch_tensor([decode(f, size) for f in files[i:i + batch]]))
            passes.append(time.perf_counter() - t)
            if time.perf_counter() - start >= budget / 2 or len(passes) >= 5:
                break
    return {
        'imgPerSec': count / min(passes),
        'forwardImgPerSec': forward,
        'forwardBestImgPerSec': batch / min(times),
        'images': count,
        'passes': len(passes),
        'dim': int(out.shape[1]),
        'peakRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--images', required=True)
    p.add_argument('--backbones', default='mobilenet_v1_0.75,mobilenet_v2_1.0,vgg16')
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--budget', type=float, default=20)
    a = p.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    files = list_images(a.images)
    print(json.dumps({
        'torch': torch.__version__,
        'threads': threads,
        'extract': {name: measure(name, files, a.batch, a.budget) for name in a.backbones.split(',')},
    }))


if __name__ == '__main__':
    main()
