"""Run one row of issue 15 section 2 on a peer, in the peers' interpreter (never lamina's).

    ../peers-venv/bin/python benchmarks/course_peers.py {keras-jax|torch} ROW DATA.npz

Prints one JSON line {"seconds": last epoch's wall time, "metric": its training metric}.
Keras-JAX trains the definitions of `course_models.py` as they are; the PyTorch twins below
mirror them (same layer sizes, Keras's initial-state-free layers, Keras's optimizer
hyperparameters: RMSprop rho 0.9 eps 1e-7, Adam eps 1e-7, BatchNorm momentum 0.99 eps 1e-3).
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import course_models as cm  # noqa: E402


def run_keras(name, x, y):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras  # noqa: PLC0415

    return cm.train_timed(keras, name, x, y)


def torch_model(name):
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    class Recurrent(nn.Module):
        def __init__(self, kind):
            super().__init__()
            self.kind = kind
            if kind == "timeseries_gru":
                self.rnn, width = nn.GRU(cm.SERIES_FEATURES, 32, batch_first=True), 32
            else:
                self.emb = nn.Embedding(cm.VOCAB, 32)
                bi = kind == "imdb_bigru"
                cls = nn.GRU if bi else nn.LSTM
                self.rnn, width = cls(32, 32, batch_first=True, bidirectional=bi), 64 if bi else 32
            self.out = nn.Linear(width, 1)

        def forward(self, x):
            if self.kind != "timeseries_gru":
                x = self.emb(x)
            _, h = self.rnn(x)
            h = h[0] if isinstance(h, tuple) else h  # LSTM: (h, c)
            return self.out(torch.cat(list(h), dim=-1)).squeeze(-1)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(cm.VOCAB, 64), nn.Embedding(cm.MAXLEN, 64)
            self.attn = nn.MultiheadAttention(64, 2, batch_first=True)
            self.ln1, self.ln2 = nn.LayerNorm(64, eps=1e-6), nn.LayerNorm(64, eps=1e-6)
            self.ffn = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64))
            self.drop, self.out = nn.Dropout(0.1), nn.Linear(64, 1)

        def forward(self, x):
            h = self.tok(x) + self.pos(torch.arange(cm.MAXLEN))
            h = self.ln1(h + self.attn(h, h, h, need_weights=False)[0])
            h = self.ln2(h + self.ffn(h))
            return self.out(self.drop(h.mean(dim=1))).squeeze(-1)

    if name == "mnist_bn_convnet":
        stack, c = [], 1
        for filters in (32, 64):
            for _ in range(2):
                stack += [nn.Conv2d(c, filters, 3, padding=1),
                          nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01), nn.ReLU()]
                c = filters
            stack.append(nn.MaxPool2d(2))
        stack += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.25), nn.Linear(64, 10)]
        return nn.Sequential(*stack)
    return Encoder() if name == "text_transformer" else Recurrent(name)


def run_torch(name, x, y):
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    torch.manual_seed(0)
    _, batch, epochs, _ = cm.ROWS[name]
    model = torch_model(name)
    if name in ("imdb_lstm", "timeseries_gru", "imdb_bigru"):
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    if name == "mnist_bn_convnet":
        x, y = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y.astype(np.int64))
        loss_fn = nn.CrossEntropyLoss()
    elif name == "timeseries_gru":
        x, y, loss_fn = torch.from_numpy(x), torch.from_numpy(y), nn.MSELoss()
    else:
        x, y = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y)
        loss_fn = nn.BCEWithLogitsLoss()
    n = len(x)
    seconds = metric = None
    for _ in range(epochs):
        model.train()
        t = time.perf_counter()
        order = torch.randperm(n)
        hits = total = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            out = model(xb)
            if name == "imdb_lstm":
                out = torch.sigmoid(out)
                loss = nn.functional.binary_cross_entropy(out, yb)
            else:
                loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                if name == "mnist_bn_convnet":
                    hits += (out.argmax(1) == yb).sum().item()
                elif name == "timeseries_gru":
                    hits += (out - yb).abs().sum().item()
                elif name == "imdb_lstm":
                    hits += ((out > 0.5).float() == yb).sum().item()
                else:  # the logits rows report the loss, as their Keras twins
                    hits += loss.item() * len(idx)
                total += len(idx)
        seconds, metric = time.perf_counter() - t, hits / total
    return seconds, metric


def main():
    peer, name, data_file = sys.argv[1:4]
    with np.load(data_file) as d:
        x, y = d["x"], d["y"]
    seconds, metric = (run_keras if peer == "keras-jax" else run_torch)(name, x, y)
    print(json.dumps({"seconds": seconds, "metric": metric}))


if __name__ == "__main__":
    main()
