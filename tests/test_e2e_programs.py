"""Small programs in the style of PyTorch's tutorials and popular courses (written for these tests),
run once with ``torch`` and once with ``chainrule`` as ``torch``: the numbers they print must agree.

Each program takes the library as its ``torch`` argument, so its body reads exactly as PyTorch code.
Random initial weights come from NumPy (the two libraries' generators differ); everything else
(devices, DataLoaders, custom Functions, sampling, f-strings) is the libraries' own.
"""

import numpy as np
import pytest
import torch as real_torch

import chainrule

LIBS = [real_torch, chainrule]


@pytest.fixture(autouse=True)
def one_torch_thread():
    # these programs are tiny: PyTorch's thread pool only waits on a busy 2-core machine (seconds per program)
    before = real_torch.get_num_threads()
    real_torch.set_num_threads(1)
    yield
    real_torch.set_num_threads(before)


def run_both(program, **kw):
    return [program(lib, **kw) for lib in LIBS]


def _assert_agree(out_torch, out_cr, rtol):
    assert out_torch.keys() == out_cr.keys()
    for k in out_torch:
        a, b = out_torch[k], out_cr[k]
        if isinstance(a, str):
            assert a == b, k
        else:
            np.testing.assert_allclose(np.asarray(b, dtype=float), np.asarray(a, dtype=float), rtol=rtol, atol=1e-7,
                                       err_msg=k)


# -- 1. "Learning PyTorch with Examples": a cubic fitted to sin(x) with tensors and autograd -------------
def polynomial_fit(torch):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float64
    x = torch.linspace(-np.pi, np.pi, 500, device=device, dtype=dtype)
    y = torch.sin(x)
    init = np.random.default_rng(0).normal(size=4)
    a, b, c, d = (torch.tensor(v, device=device, dtype=dtype, requires_grad=True) for v in init)
    log = []
    for t in range(300):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            log.append(f"{t} {loss.item():.6f}")
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= 1e-6 * p.grad
                p.grad = None
    return {"log": "\n".join(log), "coef": [a.item(), b.item(), c.item(), d.item()],
            "line": f"y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3"}


# -- 2. the quickstart: an nn.Module classifier, DataLoader, train and test loops --------------------------
def quickstart(torch):
    nn = torch.nn
    from_data = torch.utils.data
    rng = np.random.default_rng(1)
    X = rng.normal(size=(256, 4, 4))
    labels = (X.reshape(256, -1)[:, :8].sum(1) > 0).astype(np.int64) + 2 * (X[:, 0, 0] > 0.5)
    train = from_data.TensorDataset(torch.tensor(X[:192], dtype=torch.float64), torch.tensor(labels[:192]))
    test = from_data.TensorDataset(torch.tensor(X[192:], dtype=torch.float64), torch.tensor(labels[192:]))
    train_dataloader = from_data.DataLoader(train, batch_size=32)
    test_dataloader = from_data.DataLoader(test, batch_size=32)
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    model = NeuralNetwork().to(device).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    lines = []
    for epoch in range(3):
        model.train()
        for Xb, yb in train_dataloader:
            Xb, yb = Xb.to(device), yb.to(device)
            loss = loss_fn(model(Xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for Xb, yb in test_dataloader:
                pred = model(Xb)
                test_loss += loss_fn(pred, yb).item()
                correct += (pred.argmax(1) == yb).type(torch.float).sum().item()
        lines.append(f"Epoch {epoch + 1}: Accuracy: {100 * correct / len(test):>0.1f}%, "
                     f"Avg loss: {test_loss / len(test_dataloader):>8f}")
    return {"report": "\n".join(lines), "weight": model.linear_relu_stack[0].weight.detach().numpy().copy()}


# -- 3. a course's bigram language model: counts, keepdims, one_hot, multinomial -----------------------------
def bigram(torch):
    F = torch.nn.functional
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    n = len(stoi)
    N = torch.zeros((n, n), dtype=torch.int32)
    xs, ys = [], []
    for w in words:
        cs = ["."] + list(w) + ["."]
        for c1, c2 in zip(cs, cs[1:]):
            N[stoi[c1], stoi[c2]] += 1
            xs.append(stoi[c1])
            ys.append(stoi[c2])
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    xs, ys = torch.tensor(xs), torch.tensor(ys)
    nll = -P[xs, ys].log().mean()
    g = torch.Generator().manual_seed(2147483647)
    samples = []
    for _ in range(5):
        ix, out = 0, []
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            if ix == 0 or len(out) > 20:
                break
            out.append(ix)
        samples.append(out)
    assert all(0 < i < n for s in samples for i in s)
    # the same model as a one-layer network trained by gradient descent
    W = torch.tensor(np.random.default_rng(2).normal(size=(n, n)), requires_grad=True)
    for _ in range(30):
        logits = F.one_hot(xs, num_classes=n).double() @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(len(xs)), ys].log().mean() + 0.01 * (W**2).mean()
        W.grad = None
        loss.backward()
        W.data += -10 * W.grad
    return {"count_nll": f"{nll.item():.4f}", "nn_loss": loss.item(), "P_sum": P.sum().item()}


# -- 4. custom autograd Function, einsum and norms: a tiny attention-like regression ------------------------
def custom_function(torch):
    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(8, 5, 3)))
    target = torch.tensor(rng.normal(size=(8, 5)))
    Wq = torch.tensor(rng.normal(size=(3, 3)) * 0.5, requires_grad=True)
    v = torch.tensor(rng.normal(size=3), requires_grad=True)
    opt = torch.optim.Adam([Wq, v], lr=0.05)
    for _ in range(25):
        q = torch.einsum("btc,cd->btd", x, Wq)
        scores = torch.einsum("btd,bsd->bts", q, x) / 3**0.5
        h = torch.bmm(scores.softmax(dim=-1), x)
        out = torch.mv(MyReLU.apply(h).reshape(-1, 3), v).reshape(8, 5)
        loss = torch.nn.functional.mse_loss(out, target) + 1e-3 * torch.linalg.norm(Wq)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": loss.item(), "norm": Wq.detach().norm(dim=1).numpy().copy(),
            "vnorm": torch.linalg.vector_norm(v.detach(), ord=1).item(), "summary": f"{loss:.5f}"}


# -- 5. a Dataset with per-sample transforms (the tutorial's "Datasets & DataLoaders" shape) -----------------
def dataset_transforms(torch):
    from_data = torch.utils.data

    class Squares(from_data.Dataset):
        def __init__(self, n, transform=None, target_transform=None):
            self.n, self.transform, self.target_transform = n, transform, target_transform

        def __len__(self):
            return self.n

        def __getitem__(self, idx):
            image = torch.arange(16, dtype=torch.float32).reshape(4, 4) * idx
            label = idx % 3
            if self.transform:
                image = self.transform(image)
            if self.target_transform:
                label = self.target_transform(label)
            return image, label

    ds = Squares(10, transform=lambda x: torch.flatten(x) / 10,
                 target_transform=lambda y: torch.nn.functional.one_hot(torch.tensor(y), 3).float())
    loader = from_data.DataLoader(ds, batch_size=4, shuffle=False)
    shapes, totals = [], []
    for X, y in loader:
        shapes.append(f"{tuple(X.shape)} {tuple(y.shape)}")
        totals.append(X.sum().item() + y.argmax(1).sum().item())
    return {"shapes": " ".join(shapes), "totals": totals}


# -- 6. an older course's custom layer: nn.Parameter(torch.Tensor(...)), legacy types, a stream of batches -----
def custom_layer(torch):
    nn = torch.nn
    rng = np.random.default_rng(4)

    class MyLinear(nn.Module):
        def __init__(self, size_in, size_out):
            super().__init__()
            self.weights = nn.Parameter(torch.Tensor(size_out, size_in))
            self.bias = nn.Parameter(torch.Tensor(size_out))
            with torch.no_grad():  # instead of kaiming_uniform_: the same numbers in both libraries
                self.weights.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=(size_out, size_in))))
                self.bias.zero_()

        def forward(self, x):
            return torch.mm(x, self.weights.t()) + self.bias

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            data = np.random.default_rng(5).normal(size=(40, 3))
            for row in data:
                yield torch.FloatTensor(row), torch.LongTensor([int(row.sum() > 0)])[0]

    model = nn.Sequential(MyLinear(3, 8), nn.Tanh(), MyLinear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(5):
        for x, y in torch.utils.data.DataLoader(Stream(), batch_size=10):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(f"{loss:.5f}")
    return {"losses": " ".join(losses), "types": f"{x.type()} {y.type()} {isinstance(x, torch.FloatTensor)}"}


PROGRAMS = [(polynomial_fit, 1e-9), (quickstart, 1e-9), (bigram, 1e-5), (custom_function, 1e-8),
            (dataset_transforms, 1e-6), (custom_layer, 1e-5)]


@pytest.mark.parametrize("program,rtol", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_program_agrees_with_pytorch(program, rtol):
    out_torch, out_cr = run_both(program)
    _assert_agree(out_torch, out_cr, rtol)
