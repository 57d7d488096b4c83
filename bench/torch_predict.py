"""PyTorch peer of `mlctl predict` in `npm run bench:predict`: a folder of image files in, a CSV of labels out.

What a PyTorch user writes: PIL opens each file (grayscale, resized to 28x28 as mlctl's model records),
torchvision's ToTensor scales it, batches of 64 go through the LeNet of bench/torch_lenet.py in eval mode
under no_grad, and softmax gives the label and probability per file. Weights are the initial ones: the
bench measures speed, not accuracy. Timed end to end, interpreter start and `import torch` included, as a
user running the script would wait for it.

usage: /usr/bin/python3 bench/torch_predict.py FOLDER OUT.csv
"""
import csv
import os
import sys

import torch
from PIL import Image
from torchvision.transforms import functional as TF

sys.path.insert(0, os.path.dirname(__file__))
from torch_lenet import LeNet  # noqa: E402

BATCH = 64


def main(folder: str, out: str) -> None:
    files = []
    for root, _, names in os.walk(folder):
        files.extend(os.path.join(root, name) for name in names if name.lower().endswith(('.png', '.jpg')))
    files.sort()
    model = LeNet().eval()
    with open(out, 'w', newline='') as handle, torch.no_grad():
        writer = csv.writer(handle)
        writer.writerow(['input', 'label', 'probability'])
        for start in range(0, len(files), BATCH):
            paths = files[start:start + BATCH]
            images = [TF.to_tensor(Image.open(path).convert('L').resize((28, 28))) for path in paths]
            probabilities = torch.softmax(model(torch.stack(images)), dim=1)
            best, labels = probabilities.max(dim=1)
            for path, label, probability in zip(paths, labels.tolist(), best.tolist()):
                writer.writerow([path, label, probability])


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
