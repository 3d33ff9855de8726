"""Transfer learning as PyTorch users write it, on chainrule's shipped fashion7 foundation model."""

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import io, nn, optim
from chainrule.vision.models import FASHION7, fashion_cnn

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def pretrained():
    return fashion_cnn(weights="fashion7")


def test_shipped_weights_are_small_and_documented(pretrained):
    path = Path(cr.vision.models.__file__).parent / "weights" / "fashion7.safetensors"
    assert path.stat().st_size < 2_000_000
    meta = io.read_metadata(path)
    assert meta["model"] == "fashion_cnn" and "pretrain_foundation.py" in meta["recipe"]
    assert pretrained.fc.out_features == len(FASHION7["categories"]) == 7


@pytest.mark.skipif(not FASHION.is_dir(), reason=f"{FASHION} is missing")
def test_shipped_weights_classify_the_seven_classes(pretrained):
    data = cr.vision.datasets.FashionMNIST(train=False)
    X, y = data.data.numpy()[:1000], data.targets.numpy()[:1000]
    keep = np.isin(y, FASHION7["fashion_mnist_labels"])
    x = (X[keep, None].astype(np.float32) / 255 - FASHION7["mean"][0]) / FASHION7["std"][0]
    with cr.no_grad():
        pred = pretrained.eval()(cr.from_numpy(x)).argmax(dim=1).numpy()
    labels = np.asarray(FASHION7["fashion_mnist_labels"])[pred]
    assert (labels == y[keep]).mean() > 0.8


def test_frozen_body_gets_no_gradient_and_records_no_graph():
    model = fashion_cnn(weights="fashion7")
    model.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, 3)  # a new head is trainable
    x = cr.randn(4, 1, 28, 28)
    body = nn.Sequential(*list(model.children())[:-1])
    features = body(x)
    assert features.shape == (4, 576)
    assert features.grad_fn is None and not features.requires_grad  # no backward work is even recorded
    loss = nn.functional.cross_entropy(model(x), cr.tensor([0, 1, 2, 0]))
    loss.backward()
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))
    assert model.fc.weight.grad is not None and model.fc.bias.grad is not None
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]


def test_param_groups_with_smaller_body_lr_and_frozen_batchnorm_in_eval():
    model = fashion_cnn(weights="fashion7")
    model.fc = nn.Linear(model.fc.in_features, 3)
    body = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
    opt = optim.SGD([{"params": body, "lr": 1e-4}, {"params": model.fc.parameters()}], lr=1e-2)
    assert [g["lr"] for g in opt.param_groups] == [1e-4, 1e-2]
    bn = model.features[1]
    stats = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    x = cr.randn(8, 1, 28, 28) * 3 + 1
    before = [p.detach().numpy().copy() for p in body]
    model.eval()  # eval: BatchNorm uses and keeps its running statistics, even while training the weights
    loss = nn.functional.cross_entropy(model(x), cr.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    np.testing.assert_array_equal(bn.running_mean.numpy(), stats[0])
    np.testing.assert_array_equal(bn.running_var.numpy(), stats[1])
    moved = max(float(np.abs(p.detach().numpy() - b).max()) for p, b in zip(body, before))
    assert 0 < moved < 1e-3  # the body moved, slowly
    model.train()
    model(x)
    assert not np.array_equal(bn.running_mean.numpy(), stats[0])  # in train mode the statistics update


def test_the_homework_as_pytorch_code(tmp_path):
    """Seed 001's homework written for torch/torchvision, run with chainrule in their place."""
    Image = pytest.importorskip("PIL.Image")
    import chainrule as torch
    import chainrule.vision as torchvision
    from chainrule.vision import transforms

    rng = np.random.default_rng(0)
    for k, name in enumerate(["dark", "light", "striped"]):
        (tmp_path / name).mkdir()
        for i in range(6):
            pixels = rng.integers(0, 60, (32, 32)) + [0, 150, 0][k]
            if name == "striped":
                pixels[::4] = 255
            Image.fromarray(pixels.astype(np.uint8)).save(tmp_path / name / f"{i}.png")
    tf = transforms.Compose([transforms.Grayscale(), transforms.Resize(28), transforms.ToTensor(),
                             transforms.Normalize((0.286,), (0.353,))])
    data = torchvision.datasets.ImageFolder(str(tmp_path), transform=tf)
    loader = torch.utils.data.DataLoader(data, batch_size=6, shuffle=True)
    model = torchvision.models.fashion_cnn(weights="fashion7")
    for p in model.parameters():
        p.requires_grad = False
    model.fc = torch.nn.Linear(model.fc.in_features, 3)
    optimizer = torch.optim.Adam(model.fc.parameters(), lr=1e-2)
    criterion = torch.nn.CrossEntropyLoss()
    model.eval()  # BatchNorm keeps the pretrained statistics
    losses = []
    for _ in range(15):
        for x, y in loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.5 * np.mean(losses[:3])
    with torch.no_grad():
        probs = torch.softmax(model(tf(Image.open(tmp_path / "striped" / "0.png")).unsqueeze(0)), dim=1)
    assert probs.shape == (1, 3) and int(probs.argmax()) == data.class_to_idx["striped"]
