"""``chainrule lr-find``: the learning-rate range test on the model ``chainrule train`` would build.

It takes the same options as ``train`` (dataset, model, optimizer, batch size, seed ...), sweeps the
learning rate over ``--num-iter`` batches, writes the plot and prints the suggested learning rates.
Nothing is trained for real and no run folder is written.
"""

from __future__ import annotations

import argparse

_NOT_HERE = ("help", "resume", "checkpoint_every", "epochs", "early_stopping", "reduce_lr", "name", "out")


def add_parser(commands, train_parser) -> argparse.ArgumentParser:
    """Register ``lr-find`` with ``train``'s options (those that shape the data, the model and the optimizer)."""
    from chainrule.cli import _positive_float, _positive_int

    f = commands.add_parser(
        "lr-find", help="suggest a learning rate (range test)", description=(
            "Run the learning-rate range test (Smith 2017, fastai's lr_find) on the model that `chainrule train` "
            "would build with the same options: the lr grows exponentially from --start-lr to --end-lr over "
            "--num-iter batches; writes the smoothed loss against lr to --plot and prints the steepest-descent "
            "and minimum/10 suggestions. Takes train's options."))
    for action in train_parser._actions:
        if action.dest not in _NOT_HERE:
            f._add_action(action)
    f.add_argument("--start-lr", type=_positive_float, default=1e-7, help="first lr (default: %(default)g)")
    f.add_argument("--end-lr", type=_positive_float, default=10.0, help="last lr (default: %(default)g)")
    f.add_argument("--num-iter", type=_positive_int, default=100, help="steps of the sweep (default: %(default)s)")
    f.add_argument("--plot", default="lr_find.png", metavar="PATH",
                   help="where to write the plot (default: %(default)s)")
    # resolve_config reads these; the range test has no epochs, schedule or run folder
    f.set_defaults(resume=None, name=None, epochs=1, early_stopping=0, reduce_lr=0, checkpoint_every=0, out=".")
    return f


def run_lr_find(args, parser) -> int:
    import chainrule as cr
    from chainrule.cli.runs import build_loss, build_model
    from chainrule.cli.train import build_optimizer, load_data, resolve_config
    from chainrule.train.lr_find import lr_find

    if args.threads is not None:
        cr.set_num_threads(args.threads)
    if not args.start_lr < args.end_lr:
        parser.error(f"--start-lr ({args.start_lr:g}) must be below --end-lr ({args.end_lr:g})")
    config = resolve_config(args, parser)
    data = load_data(config, parser)
    cr.manual_seed(config["seed"])
    model = build_model(config)
    optimizer = build_optimizer(config, model.parameters())
    result = lr_find(model, build_loss(config), optimizer, data["train"], start_lr=args.start_lr, end_lr=args.end_lr,
                     num_iter=args.num_iter, batch_size=config["batch_size"], seed=config["seed"])
    if not result.lrs:
        raise RuntimeError("lr-find: the loss was not finite at the first step; check the data and the model")
    try:
        result.plot(args.plot)
        wrote = f"; plot: {args.plot}"
    except ImportError as e:
        wrote = f" (plot skipped: {e})"
    print(f"{config['optimizer']} on {config['dataset']}: {len(result.lrs)} steps from lr {result.lrs[0]:.2g} "
          f"to {result.lrs[-1]:.2g}{wrote}")
    print(f"suggested lr: {result.steepest:.2g} (steepest descent); {result.min_div10:.2g} (minimum / 10)")
    return 0
