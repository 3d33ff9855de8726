"""``chainrule embed RUN_DIR``: what a trained classifier's embeddings hold, as pictures.

Computes the penultimate-layer embedding (the input of the last Linear layer) of every test image,
writes a 2-D PCA map coloured by class (``embedding_map.png``), a grid of nearest-neighbour images for
a few queries (``neighbours.png``), optionally a t-SNE map (``--tsne``, needs scikit-learn), and the
numbers (``embeddings.json``: how often the 10 nearest neighbours share the query's class, in embedding
space and in pixel space) into the run folder, or ``--out``.
"""

from __future__ import annotations

import os


def add_parser(commands):
    from chainrule.cli import _positive_int

    e = commands.add_parser(
        "embed", help="map and nearest neighbours of a run's image embeddings", description=(
            "Embed a run's test images with its trained model (the input of the last Linear layer), then write "
            "embedding_map.png (PCA, coloured by class), neighbours.png (nearest test images of a few queries by "
            "cosine similarity), embeddings.json and, with --tsne, embedding_tsne.png into the run folder."))
    e.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of `chainrule train` on fashion-mnist or mnist")
    e.add_argument("--out", default=None, metavar="DIR", help="write there instead of the run folder")
    e.add_argument("--samples", type=_positive_int, default=None, metavar="N",
                   help="use the first N test images (default: all)")
    e.add_argument("--queries", type=_positive_int, default=6, metavar="N",
                   help="query images in the grid (default: %(default)s)")
    e.add_argument("--neighbours", type=_positive_int, default=8, metavar="K",
                   help="neighbours per query (default: %(default)s)")
    e.add_argument("--tsne", action="store_true", help="also a t-SNE map (needs scikit-learn)")
    e.add_argument("--tsne-samples", type=_positive_int, default=2000, metavar="N",
                   help="points in the t-SNE map (default: %(default)s)")
    e.add_argument("--seed", type=int, default=0, help="picks the sampled points (default: %(default)s)")
    return e


def run_embed(args) -> int:
    from chainrule.cli.imagefolder_model import is_folder_run
    from chainrule.cli.runs import RunError
    from chainrule.embeddings.images import embed_run

    if args.out is not None and os.path.exists(args.out) and not os.path.isdir(args.out):
        raise RunError(f"--out {args.out} is a file; pass a folder (made if missing) for the pictures and numbers")

    if is_folder_run(args.run_dir):
        raise RunError(f"{args.run_dir} is a `train --data` run; `chainrule embed` reads runs on fashion-mnist or "
                       "mnist (use chainrule.embeddings.image_embeddings on your own images)")
    result = embed_run(args.run_dir, out=args.out, samples=args.samples, queries=args.queries,
                       neighbours=args.neighbours, tsne=args.tsne, tsne_samples=args.tsne_samples, seed=args.seed)
    agree = result["neighbour_agreement_k10"]
    print(f"{result['test_images']} test images, {result['embedding_dim']}-number embeddings; the 10 nearest "
          f"neighbours share the class {agree['embedding_cosine']:.1%} of the time "
          f"(in pixel space: {agree['pixels_euclidean']:.1%})")
    if result["layer"].startswith("preprocessed pixels"):
        print("note: the model has no hidden layer (--hidden none), so its embeddings are the preprocessed pixels")
    for path in result["files"]:
        print(f"wrote {path}")
    return 0
