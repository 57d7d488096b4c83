"""PyTorch half of `npm run bench:text`: bag and textcnn training tokens/s on random token ids.

Same protocol as bench/text-bench.ts: 4096 sequences of ids uniform in [1, VOCAB) with lengths uniform in
[32, 256], right-padded with 0 to 256, random binary labels; Adam (lr 1e-3), softmax cross-entropy; 5 warm-up
steps, then at least 4096 sequences and at least 3 s timed. tokens/s counts the tokens (not the padding).
The models are mlctl's presets: bag = EmbeddingBag mean (padding excluded) → Linear; textcnn = Embedding
(padding_idx 0) → Conv1d widths 3/4/5 → ReLU → max over the windows that start at a token → concat → dropout
0.5 → Linear.

usage: /usr/bin/python3 bench/torch_text.py bag|textcnn BATCH THREADS
prints one JSON line: {"engine":"torch","model":...,"batch":...,"threads":...,"tokensPerSec":...,"peakRssMb":...}
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 8000
LENGTH = 256
DIM = 64
DATA_SIZE = 4096
WARMUP_STEPS = 5
MIN_EXAMPLES = 4096
MIN_SECONDS = 3.0


class Bag(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.EmbeddingBag(VOCAB, DIM, mode="mean", padding_idx=0)
        self.dense = nn.Linear(DIM, 2)

    def forward(self, ids):
        return self.dense(self.embedding(ids))


class TextCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, DIM, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(DIM, DIM, k) for k in (3, 4, 5)])
        self.dense = nn.Linear(3 * DIM, 2)

    def forward(self, ids):
        mask = ids != 0
        x = (self.embedding(ids) * mask.unsqueeze(2)).transpose(1, 2)
        pooled = []
        for conv in self.convs:
            y = F.relu(conv(x))
            starts = mask[:, : y.shape[2]].unsqueeze(1)
            pooled.append(y.masked_fill(~starts, float("-inf")).amax(dim=2))
        return self.dense(F.dropout(torch.cat(pooled, dim=1), 0.5, self.training))


def main():
    argv = sys.argv[1:]
    if len(argv) != 3 or argv[0] not in ("bag", "textcnn") or not argv[1].isdigit() or not argv[2].isdigit():
        print("usage: torch_text.py bag|textcnn BATCH THREADS", file=sys.stderr)
        sys.exit(2)
    name, batch, threads = argv[0], int(argv[1]), int(argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Bag() if name == "bag" else TextCnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    lengths = torch.randint(32, LENGTH + 1, (DATA_SIZE,))
    ids = torch.randint(1, VOCAB, (DATA_SIZE, LENGTH))
    ids[torch.arange(LENGTH).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    labels = torch.randint(0, 2, (DATA_SIZE,))
    offset = 0

    def step():
        nonlocal offset
        if offset + batch > DATA_SIZE:
            offset = 0
        x, y = ids[offset:offset + batch], labels[offset:offset + batch]
        offset += batch
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        return int(lengths[offset - batch:offset].sum())

    for _ in range(WARMUP_STEPS):
        step()
    examples = 0
    tokens = 0
    start = time.perf_counter()
    while examples < MIN_EXAMPLES or time.perf_counter() - start < MIN_SECONDS:
        tokens += step()
        examples += batch
    seconds = time.perf_counter() - start
    print(json.dumps({
        "engine": "torch",
        "model": name,
        "batch": batch,
        "threads": threads,
        "tokensPerSec": round(tokens / seconds),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


main()
