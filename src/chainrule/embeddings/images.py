"""What a trained network's embeddings hold: penultimate-layer vectors, a 2-D map, nearest neighbours.

The input of a classifier's last ``Linear`` layer is its embedding of the image: the last layer only
draws straight boundaries through that space, so everything the network learnt about "what looks like
what" is there. ``image_embeddings`` collects those vectors; ``embed_run`` (``chainrule embed RUN_DIR``)
computes them over a run's test set and writes

- ``embedding_map.png``: the test set projected to 2-D by PCA (built in, NumPy's SVD), coloured by class;
- ``embedding_tsne.png`` with ``tsne=True`` when scikit-learn is installed (t-SNE on a subsample);
- ``neighbours.png``: for a few query images, their nearest test images by cosine similarity of the
  embeddings, framed green when they share the query's class and red when not;
- ``embeddings.json``: the numbers, including how often the 10 nearest neighbours share the query's
  class in embedding space and, for comparison, in pixel space.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["embed_run", "image_embeddings", "neighbour_agreement", "pca_2d"]


def _last_linear(model):
    from chainrule import nn

    last = None
    for module in model.modules():
        if isinstance(module, nn.Linear):
            last = module
    if last is None:
        raise ValueError(f"image_embeddings: the model has no Linear layer to take the embedding before "
                         f"({type(model).__name__})")
    return last


def image_embeddings(model, inputs, preprocessing=None, batch_size: int = 512, layer=None) -> np.ndarray:
    """The input of ``layer`` (default: the model's last ``nn.Linear``) for every input, as (N, D) float32.

    Args:
        model (Module): a trained model; it is put in eval mode for the call and restored after.
        inputs: raw inputs (e.g. uint8 images (N, 28, 28)), passed through ``preprocessing`` in batches.
        preprocessing (callable, optional): the batch transform the model was trained with.
        layer (Module, optional): the layer whose input is the embedding.
    """
    import chainrule as cr

    layer = layer or _last_linear(model)
    captured = []
    handle = layer.register_forward_pre_hook(lambda module, args: captured.append(args[0].detach().numpy()))
    was_training = model.training
    model.eval()
    try:
        with cr.no_grad():
            for i in range(0, len(inputs), batch_size):
                batch = inputs[i:i + batch_size]
                x = preprocessing(batch) if preprocessing is not None else batch
                model(x if isinstance(x, cr.Tensor) else cr.from_numpy(np.asarray(x)))
    finally:
        handle.remove()
        model.train(was_training)
    if not captured:
        raise ValueError("image_embeddings: no inputs were given")
    out = np.concatenate([c.reshape(len(c), -1) for c in captured]).astype(np.float32, copy=False)
    if len(out) != len(inputs):
        raise ValueError(f"image_embeddings: the layer ran {len(out)} rows for {len(inputs)} inputs; "
                         "pass a layer that runs once per forward")
    return out


def pca_2d(x) -> tuple[np.ndarray, np.ndarray]:
    """The first two principal components of the rows of ``x``: (N, 2) coordinates and the fraction of
    the variance each explains. The sign of each axis is fixed (largest loading positive)."""
    x = np.asarray(x, np.float64)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(1)])[:, None]
    coords = centred @ axes.T
    total = (s ** 2).sum()
    return coords, (s[:2] ** 2 / total if total > 0 else np.zeros(2))


def neighbour_agreement(vectors, labels, k: int = 10, metric: str = "cosine", queries=None) -> float:
    """How often the ``k`` nearest other rows (by ``metric``) share a row's label, over ``queries`` rows."""
    from chainrule.embeddings.nearest import nearest

    labels = np.asarray(labels)
    queries = np.arange(len(vectors)) if queries is None else np.asarray(queries)
    _, idx = nearest(vectors[queries], vectors, min(k + 1, len(vectors)), metric)
    idx = idx.numpy()
    keep = idx != queries[:, None]  # the query itself (normally first) is not its own neighbour
    same = labels[idx] == labels[queries][:, None]
    per_query = [s[m][:k].mean() for s, m in zip(same, keep)]
    return float(np.mean(per_query))


def _pick_queries(labels, n):
    """The first test image of n classes spread over the label range (deterministic)."""
    classes = np.unique(labels)
    chosen = classes[np.linspace(0, len(classes) - 1, min(n, len(classes))).round().astype(int)]
    return np.array([np.flatnonzero(labels == c)[0] for c in chosen])


def embed_run(run_dir, out=None, samples: int | None = None, queries: int = 6, neighbours: int = 8,
              tsne: bool = False, tsne_samples: int = 2000, seed: int = 0, batch_size: int = 512) -> dict:
    """Embeddings of a run's test set (``chainrule embed RUN_DIR``): writes the pictures and embeddings.json.

    Args:
        run_dir: a run folder of ``chainrule train`` on an image dataset (fashion-mnist, mnist).
        out: where to write (default: the run folder).
        samples (int, optional): use the first ``samples`` test images (default: all 10,000).
        queries (int): query images in the neighbour grid. Default 6.
        neighbours (int): neighbours per query. Default 8.
        tsne (bool): also a t-SNE map of ``tsne_samples`` points (needs scikit-learn). Default False.

    Returns:
        dict: the numbers written to embeddings.json and the paths written (``files``).
    """
    from chainrule.cli.load import load_run
    from chainrule.cli.runs import RunError, is_image, load_raw
    from chainrule.viz import save_figure
    from chainrule.viz.embeddings import plot_embedding_map, plot_neighbours

    run = load_run(run_dir)
    dataset = run.config["dataset"]
    if not is_image(dataset) or run.classes is None:
        raise RunError(f"{run_dir} was trained on {dataset!r}; `chainrule embed` needs a classifier trained on an "
                       "image dataset (fashion-mnist, mnist)")
    images, labels, classes = load_raw(dataset, False, run.config["seed"])
    if samples is not None:
        if samples < neighbours + 1:
            raise ValueError(f"embed: samples must be more than neighbours={neighbours}, got {samples}")
        images, labels = images[:samples], labels[:samples]
    labels = np.asarray(labels).astype(np.int64)
    emb = image_embeddings(run.model, images, run.preprocessing, batch_size)
    # a linear model (--hidden none) has no hidden layer: its last Linear reads the preprocessed pixels
    linear_only = run.config.get("model", "mlp") == "mlp" and not run.config.get("hidden")
    layer = "preprocessed pixels (no hidden layer)" if linear_only else "input of the last Linear layer"
    out = Path(out) if out is not None else Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    coords, explained = pca_2d(emb)
    what = "preprocessed pixels" if linear_only else "penultimate layer"
    files = [save_figure(plot_embedding_map(
        coords, labels, classes, title=f"{run.config['name']}: {what} ({emb.shape[1]} numbers) of "
        f"{len(emb)} test images, PCA ({explained.sum():.0%} of the variance)",
        axis_labels=(f"PC 1 ({explained[0]:.0%})", f"PC 2 ({explained[1]:.0%})")), out / "embedding_map.png")]
    rng = np.random.default_rng(seed)
    probe = np.sort(rng.choice(len(emb), size=min(1000, len(emb)), replace=False))
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255.0
    result = {
        "run": str(run_dir), "dataset": dataset, "test_images": int(len(emb)), "embedding_dim": int(emb.shape[1]),
        "layer": layer, "pca_explained_variance": [round(float(v), 4) for v in explained],
        "neighbour_agreement_k10": {"embedding_cosine": round(neighbour_agreement(emb, labels, 10, "cosine", probe), 4),
                                    "pixels_euclidean": round(neighbour_agreement(pixels, labels, 10, "euclidean",
                                                                                  probe), 4),
                                    "queries": int(len(probe))},
    }
    chosen = _pick_queries(labels, queries)
    from chainrule.embeddings.nearest import nearest

    _, idx = nearest(emb[chosen], emb, neighbours + 1, "cosine")
    grid = [[j for j in row if j != q][:neighbours] for q, row in zip(chosen, idx.numpy().tolist())]
    files.append(save_figure(plot_neighbours(images, labels, classes, chosen, grid,
                                             title="nearest test images by cosine similarity of the embeddings"),
                             out / "neighbours.png"))
    if tsne:
        try:
            from sklearn.manifold import TSNE
        except ImportError as e:
            raise ImportError("embed --tsne needs scikit-learn: pip install chainrule[sklearn]") from e
        sub = np.sort(rng.choice(len(emb), size=min(tsne_samples, len(emb)), replace=False))
        tsne_model = TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, (len(sub) - 1) / 3))
        xy = tsne_model.fit_transform(emb[sub].astype(np.float64))
        files.append(save_figure(plot_embedding_map(
            xy, labels[sub], classes, title=f"{run.config['name']}: t-SNE of {len(sub)} test-image embeddings",
            axis_labels=("t-SNE 1", "t-SNE 2"), point_size=8.0), out / "embedding_tsne.png"))
    result["files"] = [str(f) for f in files]
    from chainrule.cli.runs import write_text

    write_text(out / "embeddings.json", json.dumps(result, indent=2) + "\n")
    result["files"].append(str(out / "embeddings.json"))
    return result
