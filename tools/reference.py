"""reference.py — the PyTorch reference of SignSTGCN (SPEC §2–§4, §6), written from the SPEC.

It is the oracle the C program is checked against (tools/make_model_fixtures.py) and the
baseline it is timed against (bench/bench_reference.py). It is self-contained: the skeleton
graphs and partitions are built here from data/mediapipe_topology.txt as dense Â (K,J,J)
tensors, independently of src/graph.

Contents
- Graph: read_topology, mediapipe_edges (joint layout pose, left hand, right hand, face),
  chain_edges, partition (uniform K=1 / spatial K=3, SPEC §2), build_graph.
- Model: SignSTGCN with exactly the state_dict names of SPEC §3. Widths come from `Dims`
  (default: the SPEC's 64/128/128 backbone, E=128, 4 heads, signer embedding 64, G=256, ...);
  the fixtures use a reduced `Dims` so that committed files stay small, with the same names.
  Options pick every variant: bias-aware or FiLM attention, signer head (NS) with gradient
  reversal λ, MI estimator with its hidden size, dropout p (0 for parity runs).
- Losses (SPEC §4): weighted cross-entropy, adversarial signer loss through the reversal,
  supervised contrastive loss, CLUB with its own Adam (estimator step on detached Z, then the
  model loss with the updated estimator frozen).
- Optimiser (SPEC §6): AdamW (decoupled weight decay, = Adam at wd 0) on every trained tensor
  except the MI estimator, optional global-norm clipping min(1, max_norm/(‖g‖₂+1e-6)).
- Initialisation (SPEC §3): Linear U(±1/√in), Conv U(±1/√(in·3)), GRU U(±1/√G), LayerNorm and
  BatchNorm weight 1 / bias 0, drawn from a seeded torch.Generator in state_dict order.
- save_checkpoint / load_checkpoint: state_dict + metadata as safetensors (tools/safetensors_io).

Not here: data loading, pseudo-signers, metrics. The GRL schedule is dann_lambda(); callers
pass the λ of each step to forward/train_step.
"""
import math
import os
import sys
from collections import deque
from dataclasses import dataclass, asdict, field
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTOUR_GROUPS = ("face_lips", "face_left_eye", "face_left_eyebrow",
                  "face_right_eye", "face_right_eyebrow", "face_oval")


# ---- graph (SPEC §2) -------------------------------------------------------------------------

def default_topology_path():
    p = os.path.join(ROOT, "data", "mediapipe_topology.txt")
    return p if os.path.exists(p) else "/work/shared/data/mediapipe_topology.txt"


def read_topology(path=None):
    """{group: [(a, b), ...]} from the topology file."""
    groups = {}
    with open(path or default_topology_path(), encoding="utf-8") as f:
        for line in f:
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            groups.setdefault(tok[0], []).append((int(tok[1]), int(tok[2])))
    return groups


def mediapipe_edges(groups, pose=True, hands=False, face=False, face_points="all",
                    face_in_file=478):
    """(J, edges) for the MediaPipe graph over the included parts, in joint order pose,
    left_hand, right_hand, face; face points keep increasing MediaPipe order."""
    parts, off = {}, 0

    def add(name, kept):
        nonlocal off
        parts[name] = {mp: off + k for k, mp in enumerate(kept)}
        off += len(kept)

    if pose:
        add("pose", range(33))
    if hands:
        add("left_hand", range(21))
        add("right_hand", range(21))
    if face:
        if face_points == "all":
            kept = range(face_in_file)
        elif face_points == "contours":
            kept = sorted({p for g in CONTOUR_GROUPS for e in groups[g] for p in e})
        elif face_points == "lips":
            kept = sorted({p for e in groups["face_lips"] for p in e})
        else:
            raise ValueError(f"face_points {face_points!r}")
        add("face", kept)
    edges = []
    if pose:
        P = parts["pose"]
        edges += [(P[a], P[b]) for a, b in groups["pose"]]
        edges += [(P[0], P[11]), (P[0], P[12]), (P[0], P[9]), (P[0], P[10])]
    if hands:
        for h in ("left_hand", "right_hand"):
            edges += [(parts[h][a], parts[h][b]) for a, b in groups["hand"]]
        if pose:
            edges += [(parts["pose"][15], parts["left_hand"][0]),
                      (parts["pose"][16], parts["right_hand"][0])]
    if face:
        Fm = parts["face"]
        gs = ("face_lips",) if face_points == "lips" else CONTOUR_GROUPS
        edges += [(Fm[a], Fm[b]) for g in gs for a, b in groups[g]]
        if pose:
            edges.append((parts["pose"][0], Fm[0]))
    return off, edges


def chain_edges(J):
    return J, [(i, i + 1) for i in range(J - 1)]


def partition(J, edges, kind="spatial"):
    """Dense Â (K,J,J) float64 of SPEC §2 (row i = the joint being computed)."""
    A = np.zeros((J, J), dtype=bool)
    for a, b in edges:
        if a != b:
            A[a, b] = A[b, a] = True
    deg = A.sum(1) + 1.0
    if kind == "uniform":
        M = (A | np.eye(J, dtype=bool)).astype(np.float64)
        return (M / np.sqrt(np.outer(deg, deg)))[None]
    if kind != "spatial":
        raise ValueError(f"partition {kind!r}")
    hop = np.full(J, -1)
    for r in range(J):  # the smallest unvisited index is its component's root (pose 0 first)
        if hop[r] >= 0:
            continue
        hop[r] = 0
        q = deque([r])
        while q:
            i = q.popleft()
            for j in np.nonzero(A[i])[0]:
                if hop[j] < 0:
                    hop[j] = hop[i] + 1
                    q.append(j)
    out = np.zeros((3, J, J))
    out[0][np.arange(J), np.arange(J)] = 1.0 / deg
    for i in range(J):
        for j in np.nonzero(A[i])[0]:
            out[1 if hop[j] < hop[i] else 2, i, j] = 1.0 / deg[i]
    return out


def build_graph(graph="mediapipe", part="spatial", pose=True, hands=False, face=False,
                face_points="all", face_in_file=478, topology=None):
    """Â as a float32 tensor (K,J,J) for a named configuration."""
    groups = read_topology(topology)
    J, edges = mediapipe_edges(groups, pose, hands, face, face_points, face_in_file)
    if graph == "chain":
        J, edges = chain_edges(J)
    return torch.tensor(partition(J, edges, part), dtype=torch.float32)


# ---- model (SPEC §3) -------------------------------------------------------------------------

@dataclass
class Dims:
    """Layer widths. The defaults are the SPEC's; names never depend on them."""
    channels: Tuple[int, int, int] = (64, 128, 128)
    dilations: Tuple[int, int, int] = (1, 2, 3)
    heads: int = 4
    signer_hidden: int = 128     # signer_enc.net.1 output
    signer_dim: int = 64         # s
    gru: int = 256               # G per direction; Z = 2G
    cls_hidden: int = 512        # cls_head.net.1 output
    signer_head_hidden: int = 256


@dataclass
class Options:
    num_joints: int
    coords: int = 2
    num_classes: int = 2
    num_signers: int = 0          # NS; 0 = no signer source
    signer_head: bool = False     # adversarial head (needs NS, not with MI)
    use_mi: bool = False          # CLUB estimator (needs NS)
    mi_hidden: int = 128
    film: bool = False            # --use-film-attention
    dropout: float = 0.1
    lambda_grl: float = 0.5
    signer_loss_weight: float = 0.5
    use_supcon: bool = False
    supcon_weight: float = 0.1
    supcon_temp: float = 0.07
    mi_weight: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 0.0
    clip_grad: float = 0.0
    dims: Dims = field(default_factory=Dims)

    def to_json_dict(self):
        d = asdict(self)
        d["dims"] = asdict(self.dims)
        return d


def dann_lambda(lam, step, total_steps):
    """--grl-schedule dann: λ·(2/(1+e^(−10p))−1), p = step/total_steps, step 0-based."""
    p = step / total_steps
    return lam * (2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0)


class GradReverse(torch.autograd.Function):
    """Identity forward; backward multiplies by −λ."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


class GraphConv(nn.Module):
    def __init__(self, cin, cout, K):
        super().__init__()
        self.K, self.cout = K, cout
        self.lin = nn.Linear(cin, K * cout)

    def forward(self, x, A):
        B, T, J, _ = x.shape
        H = self.lin(x).view(B, T, J, self.K, self.cout)      # bias added before aggregation
        return torch.einsum("kij,btjkc->btic", A, H)


class Block(nn.Module):
    def __init__(self, cin, cout, K, dilation, p):
        super().__init__()
        self.gc = GraphConv(cin, cout, K)
        self.temporal = nn.Conv2d(cout, cout, (3, 1), padding=(dilation, 0),
                                  dilation=(dilation, 1), bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.res_proj = nn.Linear(cin, cout) if cin != cout else None
        self.drop = nn.Dropout(p)

    def forward(self, x, A):                                   # x (B,T,J,Cin)
        g = self.gc(x, A).permute(0, 3, 1, 2)                  # (B,out,T,J)
        y = self.bn(self.temporal(g)).permute(0, 2, 3, 1)      # (B,T,J,out)
        r = x if self.res_proj is None else self.res_proj(x)
        return self.drop(F.relu(y + r))


class Backbone(nn.Module):
    def __init__(self, C, K, dims, p):
        super().__init__()
        chans = (C,) + tuple(dims.channels)
        self.layers = nn.ModuleList(Block(chans[i], chans[i + 1], K, dims.dilations[i], p)
                                    for i in range(3))

    def forward(self, x, A):
        for layer in self.layers:
            x = layer(x, A)
        return x


class SignerEncoder(nn.Module):
    def __init__(self, S, dims):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(S, eps=1e-5), nn.Linear(S, dims.signer_hidden),
                                 nn.ReLU(), nn.Linear(dims.signer_hidden, dims.signer_dim))

    def forward(self, stats):
        return self.net(stats)


class SignerAttention(nn.Module):
    """Self-attention over time; q,k from [H ‖ s] (bias-aware) or FiLM-modulated k,v."""

    def __init__(self, E, Sd, heads, film):
        super().__init__()
        self.E, self.heads, self.film = E, heads, film
        qk_in = E if film else E + Sd
        self.q_proj = nn.Linear(qk_in, E, bias=False)
        self.k_proj = nn.Linear(qk_in, E, bias=False)
        self.v_proj = nn.Linear(E, E, bias=False)
        self.out_proj = nn.Linear(E, E, bias=False)
        if film:
            self.k_scale_net = nn.Sequential(nn.Linear(Sd, E), nn.Tanh())
            self.k_shift_net = nn.Linear(Sd, E)
            self.v_scale_net = nn.Sequential(nn.Linear(Sd, E), nn.Tanh())
            self.v_shift_net = nn.Linear(Sd, E)

    def forward(self, H, s):                                   # H (B,T,E), s (B,Sd)
        B, T, E = H.shape
        if self.film:
            q, k, v = self.q_proj(H), self.k_proj(H), self.v_proj(H)
            k = k * (1 + self.k_scale_net(s)[:, None]) + self.k_shift_net(s)[:, None]
            v = v * (1 + self.v_scale_net(s)[:, None]) + self.v_shift_net(s)[:, None]
        else:
            hs = torch.cat([H, s[:, None, :].expand(B, T, s.shape[1])], dim=-1)
            q, k, v = self.q_proj(hs), self.k_proj(hs), self.v_proj(H)
        dh = E // self.heads

        def split(t):
            return t.view(B, T, self.heads, dh).transpose(1, 2)  # (B,h,T,dh)

        att = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(dh), dim=-1)
        o = (att @ split(v)).transpose(1, 2).reshape(B, T, E)
        return H + self.out_proj(o)


class Temporal(nn.Module):
    def __init__(self, E, G):
        super().__init__()
        self.gru = nn.GRU(E, G, num_layers=1, batch_first=True, bidirectional=True)

    def forward(self, H):
        _, h = self.gru(H)                                     # h (2,B,G): forward, backward
        return torch.cat([h[0], h[1]], dim=-1)


class Head(nn.Module):
    """LayerNorm [0] → Linear [1] → act [2] → Dropout [3] → Linear [4]."""

    def __init__(self, din, hidden, dout, act, p):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(din, eps=1e-5), nn.Linear(din, hidden), act,
                                 nn.Dropout(p), nn.Linear(hidden, dout))

    def forward(self, x):
        return self.net(x)


class MIEstimator(nn.Module):
    """CLUB's q(y|Z): categorical over signers."""

    def __init__(self, Z, hidden, NS):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(Z, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, NS))

    def forward(self, z):
        return torch.log_softmax(self.net(z), dim=-1)


class SignSTGCN(nn.Module):
    def __init__(self, opt: Options, K: int):
        super().__init__()
        if (opt.signer_head or opt.use_mi) and opt.num_signers <= 0:
            raise ValueError("a signer head or MI estimator needs num_signers > 0")
        if opt.signer_head and opt.use_mi:
            raise ValueError("the signer head is not used with MI minimisation")
        d, self.opt = opt.dims, opt
        E, Z = d.channels[-1], 2 * d.gru
        if E % d.heads:
            raise ValueError("model width must divide by the number of heads")
        self.backbone = Backbone(opt.coords, K, d, opt.dropout)
        self.signer_enc = SignerEncoder(2 * opt.coords, d)
        self.attn = SignerAttention(E, d.signer_dim, d.heads, opt.film)
        self.temporal = Temporal(E, d.gru)
        self.cls_head = Head(Z, d.cls_hidden, opt.num_classes, nn.GELU(), opt.dropout)
        self.signer_head = (Head(Z, d.signer_head_hidden, opt.num_signers, nn.ReLU(),
                                 opt.dropout) if opt.signer_head else None)
        self.mi = MIEstimator(Z, opt.mi_hidden, opt.num_signers) if opt.use_mi else None

    def forward(self, x, stats, A, lam=None):
        """x (B,T,J,C), stats (B,2C), A (K,J,J) → dict(logits, Z, s, H, signer_logits)."""
        H = self.backbone(x, A).mean(dim=2)                    # (B,T,E)
        s = self.signer_enc(stats)
        H = self.attn(H, s)
        Z = self.temporal(H)
        out = {"logits": self.cls_head(Z), "Z": Z, "s": s, "H": H}
        if self.signer_head is not None:
            lam = self.opt.lambda_grl if lam is None else lam
            out["signer_logits"] = self.signer_head(GradReverse.apply(Z, lam))
        return out

    def trained_parameters(self):
        """(name, tensor) of every tensor the model's Adam updates (not the MI estimator)."""
        return [(n, p) for n, p in self.named_parameters() if not n.startswith("mi.")]

    def mi_parameters(self):
        return [p for n, p in self.named_parameters() if n.startswith("mi.")]


def init_weights(model: nn.Module, seed: int):
    """SPEC §3 initialisation from a seeded generator, in state_dict order."""
    g = torch.Generator().manual_seed(seed)

    def uni(t, bound):
        with torch.no_grad():
            t.copy_(torch.rand(t.shape, generator=g, dtype=torch.float64) * 2 * bound - bound)

    for mod in model.modules():
        if isinstance(mod, nn.Linear):
            b = 1.0 / math.sqrt(mod.in_features)
            uni(mod.weight, b)
            if mod.bias is not None:
                uni(mod.bias, b)
        elif isinstance(mod, nn.Conv2d):
            b = 1.0 / math.sqrt(mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1])
            uni(mod.weight, b)
        elif isinstance(mod, nn.GRU):
            b = 1.0 / math.sqrt(mod.hidden_size)
            for _, p in mod.named_parameters():
                uni(p, b)
        elif isinstance(mod, (nn.LayerNorm, nn.BatchNorm2d)):
            with torch.no_grad():
                mod.weight.fill_(1.0)
                mod.bias.fill_(0.0)


# ---- losses (SPEC §4) ------------------------------------------------------------------------

def classification_loss(logits, y, class_weights=None):
    """Mean CE; with weights Σ w[y]·CE / Σ w[y] (PyTorch's cross_entropy(weight=))."""
    return F.cross_entropy(logits, y, weight=class_weights)


def supcon_loss(Z, y, temp):
    """Khosla et al. 2020 (without τ/τ_base) over anchors with at least one positive."""
    z = Z / Z.norm(dim=1, keepdim=True).clamp_min(1e-12)
    sim = z @ z.t() / temp
    B = Z.shape[0]
    eye = torch.eye(B, dtype=torch.bool, device=Z.device)
    pos = (y[:, None] == y[None, :]) & ~eye
    anchors = pos.any(dim=1)
    if not anchors.any():
        return Z.sum() * 0.0
    log_den = torch.logsumexp(sim.masked_fill(eye, float("-inf")), dim=1, keepdim=True)
    log_prob = sim - log_den
    per = -(log_prob * pos).sum(1)[anchors] / pos.sum(1)[anchors]
    return per.mean()


def club_estimator_loss(mi, Z, signer):
    """−mean_i log q(y_i|Z_i) on detached Z: what the estimator's own Adam minimises."""
    return -mi(Z.detach()).gather(1, signer[:, None]).mean()


def club_mi(mi, Z, signer):
    """mean_i log q(y_i|z_i) − mean_i mean_j log q(y_j|z_i), the estimator frozen (its
    parameters take no gradient; Z does)."""
    with torch.no_grad():
        params = [p.detach() for p in mi.parameters()]
    h = Z
    for i, (w, b) in enumerate(zip(params[0::2], params[1::2])):
        h = F.linear(h, w, b)
        if i < 2:
            h = F.relu(h)
    logq = torch.log_softmax(h, dim=-1)                        # (B,NS)
    positive = logq.gather(1, signer[:, None]).mean()
    negative = logq[:, signer].mean()                          # [i, j] = log q(y_j|z_i)
    return positive - negative


@dataclass
class Batch:
    x: torch.Tensor
    stats: torch.Tensor
    y: torch.Tensor
    signer: Optional[torch.Tensor] = None
    class_weights: Optional[torch.Tensor] = None


def forward_losses(model, A, batch, mi_opt=None, lam=None):
    """One training-mode forward and the losses of SPEC §4, in its order: with MI, the
    estimator takes one step (mi_opt) on detached Z first; the model loss then uses the
    updated estimator frozen. Returns (total, terms dict, outputs, estimator grads)."""
    o = model.opt
    out = model(batch.x, batch.stats, A, lam)
    terms = {"cls": classification_loss(out["logits"], batch.y, batch.class_weights)}
    total = terms["cls"]
    if model.signer_head is not None:
        terms["adv"] = F.cross_entropy(out["signer_logits"], batch.signer)
        total = total + o.signer_loss_weight * terms["adv"]
    if o.use_supcon:
        terms["supcon"] = supcon_loss(out["Z"], batch.y, o.supcon_temp)
        total = total + o.supcon_weight * terms["supcon"]
    mi_grads = None
    if model.mi is not None:
        mi_opt.zero_grad(set_to_none=True)
        terms["mi_estimator"] = club_estimator_loss(model.mi, out["Z"], batch.signer)
        terms["mi_estimator"].backward()
        mi_grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()
                    if n.startswith("mi.")}
        mi_opt.step()
        terms["mi"] = club_mi(model.mi, out["Z"], batch.signer)
        total = total + o.mi_weight * terms["mi"]
    terms["total"] = total
    return total, terms, out, mi_grads


def make_optimizers(model):
    """AdamW on the trained tensors (SPEC §6) and the estimator's own Adam (SPEC §4)."""
    o = model.opt
    opt = torch.optim.AdamW([p for _, p in model.trained_parameters()], lr=o.lr,
                            betas=(0.9, 0.999), eps=1e-8, weight_decay=o.weight_decay)
    mi_opt = (torch.optim.Adam(model.mi_parameters(), lr=o.lr, betas=(0.9, 0.999), eps=1e-8)
              if model.mi is not None else None)
    return opt, mi_opt


def train_step(model, A, batch, opt, mi_opt, lam=None):
    """forward → (estimator step) → backward → clip → AdamW. Returns the terms (floats)."""
    model.train()
    opt.zero_grad(set_to_none=True)
    total, terms, _, _ = forward_losses(model, A, batch, mi_opt, lam)
    for p in model.mi_parameters():
        p.grad = None
    total.backward()
    if model.opt.clip_grad > 0:
        torch.nn.utils.clip_grad_norm_([p for _, p in model.trained_parameters()],
                                       model.opt.clip_grad)
    opt.step()
    return {k: float(v) for k, v in terms.items()}


# ---- checkpoints -----------------------------------------------------------------------------

def save_checkpoint(path, model, metadata=None):
    """The §3 state_dict (num_batches_tracked I64 shape []) + string metadata."""
    sd = {k: v.detach().float() if v.is_floating_point() else v
          for k, v in model.state_dict().items()}
    safetensors_io.save(path, sd, metadata)


def load_checkpoint(path, model):
    """Loads a checkpoint written by save_checkpoint or signstgcn (tensors with the prefixes
    optim./mi_optim./rng. are dropped, as SPEC §6 tells a PyTorch user). Returns metadata."""
    tensors, meta = safetensors_io.load(path)
    sd = {k: v for k, v in tensors.items()
          if not k.startswith(("optim.", "mi_optim.", "rng."))}
    ref = model.state_dict()
    sd = {k: (v.to(ref[k].dtype) if k in ref and torch.is_tensor(v) else v)
          for k, v in sd.items()}
    model.load_state_dict(sd, strict=True)
    return meta
