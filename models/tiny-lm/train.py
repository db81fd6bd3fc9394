#!/usr/bin/python3
"""Trains the small byte-level decoder-only transformer of models/tiny-lm and exports it to ONNX.

Run with Debian's packages (a dev-time tool only, never needed by the tests or the nodes):
    apt-get install -y python3-torch python3-onnx
    /usr/bin/python3 models/tiny-lm/train.py          # about 25 minutes on 2 busy CPU cores (the committed files: these defaults, final loss about 0.12)
Writes models/tiny-lm/{tiny-lm.onnx, tiny-lm-nocache.onnx, tokenizer.json} and prints their sha256.

Data: corpus.txt, public-domain English texts (the Declaration of Independence, the Gettysburg
Address, the Preamble of the US Constitution, Genesis 1 and Psalm 23 in the King James Version,
three of Aesop's fables retold); see README.md. Tokens: one per UTF-8 byte (ids 0..255) and
<eos> = 256 after every line. The model: 2 layers, 4 heads, width 64, context 64, learned
positions. The cache export takes past_key_i / past_value_i [1, 4, C, 16] (seqDim 2) and returns
present_key_i / present_value_i; the causal mask comes from position_ids, so one graph serves the
prompt step and the one-token steps.
"""
import hashlib
import json
import math
import os
import random
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
V, EOS, D, H, L, CTX = 257, 256, 64, 4, 2, 64
HD = D // H
STEPS = int(os.environ.get("STEPS", "4000"))

torch.manual_seed(0)
random.seed(0)
torch.set_num_threads(2)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)
        self.ln2 = nn.LayerNorm(D)
        self.fc1 = nn.Linear(D, 4 * D)
        self.fc2 = nn.Linear(4 * D, D)

    def forward(self, x, past_k, past_v, allowed):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q = q.view(b, t, H, HD).transpose(1, 2)
        k = torch.cat([past_k, k.view(b, t, H, HD).transpose(1, 2)], dim=2)
        v = torch.cat([past_v, v.view(b, t, H, HD).transpose(1, 2)], dim=2)
        att = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(HD))
        att = att.masked_fill(~allowed, -1e9)
        y = F.softmax(att, dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, D))
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        return x, k, v


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, V, bias=False)

    def forward(self, ids, positions, mask, past):
        x = self.tok(ids) + self.pos(positions)
        total = past[0].shape[2] + ids.shape[1]
        keys = torch.arange(total, device=ids.device)
        # query at absolute position p sees keys 0..p that the mask keeps
        allowed = (keys[None, None, :] <= positions[:, :, None]) & (mask[:, None, :] == 1)
        allowed = allowed[:, None, :, :]
        present = []
        for i, blk in enumerate(self.blocks):
            x, k, v = blk(x, past[2 * i], past[2 * i + 1], allowed)
            present += [k, v]
        return self.head(self.ln(x)), present


def corpus_tokens():
    text = open(os.path.join(HERE, "corpus.txt"), encoding="utf-8").read()
    out = []
    for line in text.splitlines():
        if line.strip():
            out += list(line.encode("utf-8")) + [EOS]
    return torch.tensor(out, dtype=torch.long)


def empty_past(b):
    return [torch.zeros(b, H, 0, HD) for _ in range(2 * L)]


def train(model, data):
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
    bsz, seq = int(os.environ.get("BATCH", "16")), CTX
    for step in range(STEPS):
        lr = 5e-3 * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / STEPS))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - seq - 1, (bsz,))
        x = torch.stack([data[s : s + seq] for s in starts])
        y = torch.stack([data[s + 1 : s + seq + 1] for s in starts])
        pos = torch.arange(seq)[None, :].expand(bsz, seq)
        logits, _ = model(x, pos, torch.ones(bsz, seq, dtype=torch.long), empty_past(bsz))
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == STEPS - 1:
            print(f"step {step} loss {loss.item():.3f}", flush=True)


class CacheExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, position_ids, attention_mask, *past):
        logits, present = self.m(input_ids, position_ids, attention_mask, list(past))
        return (logits, *present)


class NoCacheExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, position_ids, attention_mask):
        logits, _ = self.m(input_ids, position_ids, attention_mask, empty_past(1))
        return logits


def export(model):
    model.eval()
    t, c = 3, 2
    ids = torch.randint(0, 256, (1, t))
    pos = torch.arange(c, c + t)[None, :]
    mask = torch.ones(1, c + t, dtype=torch.long)
    past = [torch.randn(1, H, c, HD) for _ in range(2 * L)]
    past_names = [f"past_{kv}_{i}" for i in range(L) for kv in ("key", "value")]
    present_names = [n.replace("past", "present") for n in past_names]
    dyn = {"input_ids": {1: "T"}, "position_ids": {1: "T"}, "attention_mask": {1: "S"}, "logits": {1: "T"}}
    for n in past_names:
        dyn[n] = {2: "C"}
    for n in present_names:
        dyn[n] = {2: "S"}
    path = os.path.join(HERE, "tiny-lm.onnx")
    torch.onnx.export(CacheExport(model), (ids, pos, mask, *past), path, opset_version=17,
                      input_names=["input_ids", "position_ids", "attention_mask", *past_names],
                      output_names=["logits", *present_names], dynamic_axes=dyn, do_constant_folding=True)
    path2 = os.path.join(HERE, "tiny-lm-nocache.onnx")
    pos0 = torch.arange(t)[None, :]
    torch.onnx.export(NoCacheExport(model), (ids, pos0, torch.ones(1, t, dtype=torch.long)), path2,
                      opset_version=17, input_names=["input_ids", "position_ids", "attention_mask"],
                      output_names=["logits"],
                      dynamic_axes={"input_ids": {1: "T"}, "position_ids": {1: "T"},
                                    "attention_mask": {1: "T"}, "logits": {1: "T"}},
                      do_constant_folding=True)
    return path, path2


def sample(model, prompt, n=80):
    ids = list(prompt.encode("utf-8"))
    with torch.no_grad():
        for _ in range(n):
            x = torch.tensor([ids[-CTX:]])
            logits, _ = model(x, torch.arange(x.shape[1])[None, :], torch.ones_like(x), empty_past(1))
            nxt = int(logits[0, -1].argmax())
            if nxt == EOS:
                break
            ids.append(nxt)
    return bytes(ids).decode("utf-8", "replace")


def main():
    data = corpus_tokens()
    print(f"{len(data)} tokens", flush=True)
    model = TinyLM()
    train(model, data)
    for p in ["We hold these truths", "In the beginning", "The Lord is my"]:
        print(repr(sample(model, p)))
    paths = export(model)
    tok = '{ "type": "bytes", "special": ["<eos>"] }\n'  # as prettier writes it (the sha256 is in the spec)
    tpath = os.path.join(HERE, "tokenizer.json")
    open(tpath, "w").write(tok)
    for p in (*paths, tpath):
        print(os.path.basename(p), os.path.getsize(p), "0x" + hashlib.sha256(open(p, "rb").read()).hexdigest())


if __name__ == "__main__":
    sys.exit(main())
