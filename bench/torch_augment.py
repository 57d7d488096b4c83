"""torchvision half of `npm run bench:augment`: images/s of the per-image transforms a CIFAR-10 DataLoader runs.

RandomCrop(size, padding=P) + RandomHorizontalFlip() (+ ColorJitter(brightness=0.2, contrast=0.2) for 'color')
applied image by image to uint8 CHW tensors, as a Dataset's __getitem__ does (one DataLoader worker, one
thread). P is mlctl's padding: an eighth of the shorter side (4 for 32x32 and 28x28). Images are random.

usage: python3 bench/torch_augment.py CHANNELS SIZE crop,flip|crop,flip,color COUNT
prints one JSON line: {"engine":"torchvision","augment":...,"shape":...,"imagesPerSec":...}
"""
import json
import sys
import time

import torch
import torchvision.transforms as T


def main():
    channels, size, augment, count = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    padding = max(1, round(size / 8))
    steps = [T.RandomCrop(size, padding=padding), T.RandomHorizontalFlip()]
    if 'color' in augment.split(','):
        steps.append(T.ColorJitter(brightness=0.2, contrast=0.2))
    transform = T.Compose(steps)
    images = torch.randint(0, 256, (count, channels, size, size), dtype=torch.uint8)
    for i in range(min(200, count)):
        transform(images[i])
    start = time.perf_counter()
    for i in range(count):
        transform(images[i])
    seconds = time.perf_counter() - start
    print(json.dumps({
        'engine': 'torchvision',
        'augment': augment,
        'shape': [channels, size, size],
        'imagesPerSec': count / seconds,
    }))


main()
