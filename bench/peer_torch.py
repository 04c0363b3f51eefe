"""PyTorch reference for bench/run.ts --peer: the same work as FTTL's benchmarks in PyTorch (CPU).

Extraction (--images): same backbones with random weights (timing only), batch 16, 224 px, the same
JPEG files: decode (PIL, with libjpeg DCT scaling like sharp's shrink-on-load) + resize + normalise
+ forward.
Fine-tuning (--finetune): what bench/finetune.ts trains (fine-tune preset, blocks 1): the backbone's
last block + an MLP-1 head on in-memory synthetic prefix outputs (ReLU-like: half zeros), labels i%5,
batch 32 (--batch), SGD(lr 1e-4, momentum 0.9), train mode (BatchNorm on batch statistics, Dropout on),
forward + cross-entropy + backward + step per batch, the loss read back each step as FTTL does.
img/s per epoch = images / epoch seconds; "imgPerSec" = mean of the epochs after the first.
Prints one JSON object: {"torch": version, "threads": n, "extract"?: {name: {...}}, "finetune"?: {name: {...}}}.
Usage: python3 bench/peer_torch.py --images DIR --backbones mobilenet_v1_0.75,mobilenet_v2_1.0,vgg16 [--budget 20]
       python3 bench/peer_torch.py --finetune vgg16,mobilenet_v1_0.75,mobilenet_v2_1.0 [--images-ft N] [--epochs 3] [--batch 32]
"""
import argparse
import json
import math
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


# --- fine-tuning -------------------------------------------------------------------------------
# Keras BatchNormalization(momentum m) updates moving = m * moving + (1 - m) * batch; torch's
# momentum is the weight of the batch: 1 - m. Keras' epsilon default is 1e-3 (torch's 1e-5).
def bn2d(c: int, keras_momentum: float = 0.99) -> nn.Module:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=1 - keras_momentum)


def make_divisible(v: float, divisor: int = 8) -> int:
    """Keras' _make_divisible (MobileNetV2 channel counts)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def finetune_trunk(name: str):
    """(cut shape CHW, trainable block, pooled feature size) of FTTL's fine-tune plan with blocks 1."""
    if name == 'vgg16':
        # cut block4_pool 14×14×512; block5_conv1..3 (3×3 'same', bias, ReLU) + block5_pool;
        # feature block5_pool with pooling 'flatten' (FTTL's default for VGG-16): 7·7·512 = 25,088.
        convs = []
        for _ in range(3):
            convs += [nn.Conv2d(512, 512, 3, 1, 1), nn.ReLU(inplace=True)]
        return (512, 14, 14), nn.Sequential(*convs, nn.MaxPool2d(2, 2), nn.Flatten()), 512 * 7 * 7
    if name.startswith('mobilenet_v1_'):
        # cut conv_pw_12_relu 7×7×int(1024α); conv_dw_13 (3×3 stride 1 'same', no bias) + BN + ReLU6,
        # conv_pw_13 (1×1, no bias) + BN + ReLU6; feature conv_pw_13_relu, global average pool.
        c = int(1024 * float(name.split('_')[-1]))
        block = nn.Sequential(
            nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False), bn2d(c), nn.ReLU6(inplace=True),
            nn.Conv2d(c, c, 1, bias=False), bn2d(c), nn.ReLU6(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        return (c, 7, 7), block, c
    if name.startswith('mobilenet_v2_'):
        # cut block_15_add 7×7×make_divisible(160α); block_16: expand 1×1 ×6 + BN + ReLU6, depthwise
        # 3×3 + BN + ReLU6, project 1×1 → make_divisible(320α) + BN (no residual: channels change);
        # Conv_1 1×1 → 1280 (α ≤ 1) + BN + ReLU6 (out_relu); global average pool. Keras' V2 BN momentum 0.999.
        alpha = float(name.split('_')[-1])
        cin = make_divisible(int(160 * alpha))
        e = 6 * cin
        cout = make_divisible(int(320 * alpha))
        last = make_divisible(1280 * alpha) if alpha > 1 else 1280
        block = nn.Sequential(
            nn.Conv2d(cin, e, 1, bias=False), bn2d(e, 0.999), nn.ReLU6(inplace=True),
            nn.Conv2d(e, e, 3, 1, 1, groups=e, bias=False), bn2d(e, 0.999), nn.ReLU6(inplace=True),
            nn.Conv2d(e, cout, 1, bias=False), bn2d(cout, 0.999),
            nn.Conv2d(cout, last, 1, bias=False), bn2d(last, 0.999), nn.ReLU6(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        return (cin, 7, 7), block, last
    raise SystemExit(f'unknown fine-tune backbone {name}')


def mlp1_head(dim: int, classes: int = 5) -> nn.Module:
    """FTTL's MLP-1: Dense 256 ReLU → BatchNorm (Keras defaults) → Dropout 0.5 → Dense(classes) softmax."""
    return nn.Sequential(
        nn.Linear(dim, 256), nn.ReLU(inplace=True),
        nn.BatchNorm1d(256, eps=1e-3, momentum=0.01),
        nn.Dropout(0.5),
        nn.Linear(256, classes))  # softmax folded into the loss: CrossEntropyLoss = softmax + categorical CE


def measure_finetune(name: str, images: int, epochs: int, batch: int) -> dict:
    torch.manual_seed(1)
    shape, trunk, dim = finetune_trunk(name)
    model = nn.Sequential(trunk, mlp1_head(dim)).train()
    n = images
    # Synthetic prefix outputs, as bench/finetune.ts makes them: half zeros, the rest uniform in [0, 3).
    data = torch.rand(n, *shape) * 3
    data[torch.rand(n, *shape) < 0.5] = 0
    labels = torch.arange(n) % 5
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    per_epoch = []
    steps = 0
    for _ in range(epochs):
        t = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            x = data.index_select(0, idx)  # the batch is copied out, as FTTL's loader copies it
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), labels[idx])
            loss.backward()
            opt.step()
            if not math.isfinite(loss.item()):
                raise SystemExit(f'{name}: the loss became {loss.item()}')
            steps += 1
        per_epoch.append(n / (time.perf_counter() - t))
    steady = per_epoch[1:] if len(per_epoch) > 1 else per_epoch  # epoch 1 includes one-off setup
    return {
        'imgPerSec': round(statistics.mean(steady), 2),
        'imagesPerSecond': [round(x, 2) for x in per_epoch],
        'images': n,
        'epochs': epochs,
        'steps': steps,
        'batch': batch,
        'cut': list(shape),
        'featureDim': dim,
        'trainableParams': sum(p.numel() for p in model.parameters()),
        'peakRssMB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),  # process peak so far
    }


def default_ft_images(name: str) -> int:
    """bench/finetune.ts's defaults: VGG-16 costs ~7.4 GFLOP per image and step, so fewer images."""
    return 64 if name == 'vgg16' else 512


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--images', help='folder of class folders of JPEGs: measure extraction')
    p.add_argument('--backbones', default='mobilenet_v1_0.75,mobilenet_v2_1.0,vgg16')
    p.add_argument('--batch', type=int, help='batch size (default: 16 for extraction, 32 for fine-tuning)')
    p.add_argument('--budget', type=float, default=20)
    p.add_argument('--finetune', help='comma-separated backbones: measure fine-tuning (vgg16, mobilenet_v1_<α>, mobilenet_v2_<α>)')
    p.add_argument('--images-ft', type=int, help='fine-tuning images per epoch (default: bench/finetune.ts\'s, 64 for vgg16, 512 otherwise)')
    p.add_argument('--epochs', type=int, default=3, help='fine-tuning epochs (img/s = mean of those after the first)')
    a = p.parse_args()
    if not a.images and not a.finetune:
        p.error('nothing to measure: pass --images DIR and/or --finetune NAMES')
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    out = {'torch': torch.__version__, 'threads': threads}
    if a.images:
        files = list_images(a.images)
        out['extract'] = {name: measure(name, files, a.batch or 16, a.budget) for name in a.backbones.split(',')}
    if a.finetune:
        out['finetune'] = {
            name: measure_finetune(name, a.images_ft or default_ft_images(name), a.epochs, a.batch or 32)
            for name in a.finetune.split(',') if name
        }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
