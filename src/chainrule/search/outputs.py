"""The files of a search folder: trials.csv, trials.md, search.png (validation score against each
searched option) and report.md (the winner and its one test evaluation)."""

from __future__ import annotations

import csv
import io
import math

from chainrule.cli.runs import write_text

COLUMNS = ("trial", "score", "val_accuracy", "val_loss", "best_epoch", "epochs", "seconds", "status", "run")


def write_search_outputs(search_dir, summary: dict, dims) -> None:
    options = [d.option for d in dims]
    rows = summary["trials"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*(o.lstrip("-") for o in options), *COLUMNS])
    for r in rows:
        writer.writerow([*(r["options"][o] for o in options), *(_cell(r[c]) for c in COLUMNS)])
    write_text(search_dir / "trials.csv", buf.getvalue())
    write_text(search_dir / "trials.md", trials_markdown(rows, options, summary["spec"]["metric"]))
    plot = "search.png"
    try:
        plot_search(rows, dims, summary["spec"]["metric"], search_dir / plot)
    except ImportError:
        plot = None
    write_text(search_dir / "report.md", render_search_report(summary, options, plot))


def _cell(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value


def trials_markdown(rows, options, metric) -> str:
    """A Markdown table of the trials, best first (ties in trial order)."""
    sign = -1 if metric == "val_accuracy" else 1
    ranked = sorted(rows, key=lambda r: (math.isnan(r["score"]), sign * (0 if math.isnan(r["score"]) else r["score"]),
                                         r["trial"]))
    head = ["rank", "trial", *(o.lstrip("-") for o in options), metric, "best epoch", "epochs", "seconds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rank, r in enumerate(ranked, 1):
        score = "diverged" if math.isnan(r["score"]) else f"{r['score']:.4f}"
        if r.get("status") == "pruned":
            score += " (pruned)"
        lines.append("| " + " | ".join([str(rank), str(r["trial"]), *(f"`{r['options'][o]}`" for o in options),
                                        score, str(r["best_epoch"]), str(r["epochs"]), f"{r['seconds']:.1f}"]) + " |")
    return "\n".join(lines) + "\n"


def plot_search(rows, dims, metric, path):
    """A slice plot: for each searched option, every trial's validation score against its value."""
    from chainrule.viz import new_figure, save_figure

    fig = new_figure(figsize=(3.2 * len(dims), 3.2), layout="constrained")
    axes = fig.subplots(1, len(dims), squeeze=False, sharey=True)[0]  # one score scale: comparable panels
    ok = [r for r in rows if not math.isnan(r["score"])]
    best = (max if metric == "val_accuracy" else min)(ok, key=lambda r: r["score"]) if ok else None
    for ax, dim in zip(axes, dims):
        values = [r["options"][dim.option] for r in ok]
        if dim.values is None:  # a numeric range: a numeric axis
            xs = [float(v) for v in values]
            if dim.log:
                ax.set_xscale("log")
        else:
            xs = [dim.values.index(v) for v in values]
            ax.set_xticks(range(len(dim.values)), dim.values, rotation=30, fontsize=8)
            ax.set_xlim(-0.5, len(dim.values) - 0.5)
        ax.scatter(xs, [r["score"] for r in ok], s=18, alpha=0.7)
        if best is not None:
            bx = xs[ok.index(best)]
            ax.scatter([bx], [best["score"]], s=60, color="red", marker="*", label="winner")
        ax.set_xlabel(dim.option)
        ax.grid(alpha=0.3)
    fig.supylabel(metric, fontsize=10)  # (an axes label was cut off at the left edge)
    if best is not None:
        axes[0].legend(fontsize=8)
    fig.suptitle(f"{len(rows)} trials: {metric} per option value")
    save_figure(fig, path)


def render_search_report(summary: dict, options, plot) -> str:
    spec, winner, test = summary["spec"], summary["winner"], summary["test"]
    metric = spec["metric"]
    lines = [f"# Search {summary['dir']}", "",
             f"{spec['mode'].capitalize()} search over {', '.join(options)}: {spec['trials']} trials, seed "
             f"{spec['seed']}; fixed options: `{' '.join(spec['fixed']) or '(defaults)'}`. Every trial trained with "
             f"early stopping on the same validation split and was scored by its best epoch's {metric}.", "",
             f"**Winner (chosen on validation only): trial {winner['trial']}**, "
             + ", ".join(f"`{o} {winner['options'][o]}`" for o in options)
             + f": {metric} {winner['score']:.4f} at epoch {winner['best_epoch']}. Run folder: `{test['run']}/`.", ""]
    how = ("retrained on train+validation for the winner's best number of epochs, then evaluated"
           if test["retrained"] else "evaluated with the winner's weights")
    if "accuracy" in test:
        low, high = test["ci"]
        lines.append(f"**The test set was used once**, after the choice, {how}: test accuracy "
                     f"**{test['accuracy']:.4f}** (95% CI {low:.4f}-{high:.4f}, Wilson interval over n = {test['n']}).")
    else:
        lines.append(f"**The test set was used once**, after the choice, {how}: {test['headline']}.")
    lines += ["", "The trials' test scores were never computed: choosing among them on the test set would make "
              "the reported test score optimistic.", "", "## Trials (best first)", "",
              trials_markdown(summary["trials"], options, metric)]
    if plot:
        lines += [f"![validation score per option]({plot})", ""]
    lines += ["Files: trials.csv, trials.md, search.json (the specification), trials/ (one run folder per trial)."]
    return "\n".join(lines) + "\n"
