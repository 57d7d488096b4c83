"""torchvision half of `npm run bench:images`: one pass of ImageFolder + PIL + DataLoader over an image folder.

The transform is what mlctl's side does: decode, convert to RGB, resize to 32x32 (stretch: both sides' images
are square, so mlctl's cover and torchvision's Resize((32, 32)) agree), to a uint8-range tensor. The timed
part is building the ImageFolder (its scan of the folder) and iterating the DataLoader once, batch 64,
as a first training epoch would.

usage: /usr/bin/python3 bench/torch_imagefolder.py FOLDER NUM_WORKERS
prints one JSON line: {"workers":...,"images":...,"seconds":...,"imagesPerSec":...}
"""
import json
import sys
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

folder, workers = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1)
transform = transforms.Compose([transforms.Resize((32, 32)), transforms.PILToTensor()])
started = time.perf_counter()
dataset = datasets.ImageFolder(folder, transform=transform)
loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=workers)
images = 0
for inputs, _ in loader:
    images += inputs.shape[0]
seconds = time.perf_counter() - started
print(json.dumps({"workers": workers, "images": images, "seconds": seconds, "imagesPerSec": images / seconds}))
