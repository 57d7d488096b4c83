"""PyTorch half of `npm run bench`: LeNet-5 training or inference throughput on MNIST-shaped random data.

Same protocol as the mlctl (ONNX Runtime) half: 8192 random N(0,1) images with random labels, 5 warm-up steps,
then at least 8192 images and at least 3 s timed. Training uses SGD with momentum (lr 0.01, mu 0.9) and
softmax cross-entropy; inference runs in eval mode under no_grad.

usage: /usr/bin/python3 bench/torch_lenet.py train|infer BATCH THREADS
prints one JSON line: {"engine":"torch","mode":...,"batch":...,"threads":...,"imagesPerSec":...,"peakRssMb":...}
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_SIZE = 8192
WARMUP_STEPS = 5
MIN_IMAGES = 8192
MIN_SECONDS = 3.0


class LeNet(nn.Module):
    """LeNet-5 for 1x28x28: conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10 (relu throughout)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def usage_error(message):
    print(f"torch_lenet.py: {message}\nusage: torch_lenet.py train|infer BATCH THREADS", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    if len(argv) != 3 or argv[0] not in ("train", "infer") or not argv[1].isdigit() or not argv[2].isdigit():
        usage_error("expected a mode (train or infer) and two positive integers")
    mode, batch, threads = argv[0], int(argv[1]), int(argv[2])
    if not 1 <= batch <= DATA_SIZE or threads < 1:
        usage_error(f"batch must be in 1..{DATA_SIZE} and threads at least 1")
    return mode, batch, threads


def main():
    mode, batch, threads = parse_args(sys.argv[1:])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = LeNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randn(DATA_SIZE, 1, 28, 28)
    labels = torch.randint(0, 10, (DATA_SIZE,))
    if mode == "infer":
        model.eval()

    offset = 0

    def step():
        nonlocal offset
        if offset + batch > DATA_SIZE:
            offset = 0
        x, y = images[offset:offset + batch], labels[offset:offset + batch]
        offset += batch
        if mode == "train":
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        else:
            with torch.no_grad():
                model(x)

    for _ in range(WARMUP_STEPS):
        step()
    done = 0
    start = time.perf_counter()
    while done < MIN_IMAGES or time.perf_counter() - start < MIN_SECONDS:
        step()
        done += batch
    seconds = time.perf_counter() - start

    # ru_maxrss is in KiB on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "engine": "torch",
        "mode": mode,
        "batch": batch,
        "threads": threads,
        "imagesPerSec": round(done / seconds),
        "peakRssMb": round(peak_rss_mb, 1),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
