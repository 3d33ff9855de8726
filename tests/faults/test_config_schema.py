"""A damaged config.json is refused by evaluate, predict and train --resume with one line naming the file and the
field (never a KeyError / TypeError traceback)."""

import json
import re
import shutil

import pytest

from chainrule.cli import main


@pytest.fixture
def run(toy_run):
    return toy_run


def _variant(run, tmp_path, text):
    bad = tmp_path / "bad"
    shutil.copytree(run, bad)
    (bad / "config.json").write_text(text)
    return bad


def _edit(run, **changes):
    config = json.loads((run / "config.json").read_text())
    for key, value in changes.items():
        if value is ...:
            del config[key]
        else:
            config[key] = value
    return json.dumps(config)


CASES = {
    "empty object": ("{}", "field 'dataset' is missing"),
    "array": ("[]", "the document is a JSON array, expected an object"),
    "null": ("null", "the document is a JSON null, expected an object"),
    "unknown dataset": (dict(dataset="nonsense"), "field 'dataset' is 'nonsense', expected one of"),
    "width as text": (dict(hidden=["4"]), "field 'hidden[0]' is a JSON string"),
    "negative lr": (dict(lr=-1), "field 'lr' is -1"),
    "NaN lr": ("nan-lr", "field 'lr' is nan, expected a finite number"),
    "seed deleted": (dict(seed=...), "field 'seed' is missing"),
    "seed null": (dict(seed=None), "field 'seed' is a JSON null"),
    "std zero": (dict(normalize={"mean": [0.0, 0.0], "std": [0.0, 1.0]}), "field 'normalize.std[0]' is 0.0"),
    "wrong task": (dict(task="regression"), "field 'task' is 'regression', but dataset 'xor' is a classification"),
    "too few classes": (dict(classes=["0"]), "field 'classes' names 1 classes, but out_features is 2"),
    "activation": (dict(activation="swish"), "field 'activation' is 'swish'"),
    "not json": ("{", "is not valid JSON"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["evaluate", "resume"])
def test_a_damaged_config_json_is_refused_naming_file_and_field(run, tmp_path, capsys, case, command):
    change, expected = CASES[case]
    if isinstance(change, dict):
        text = _edit(run, **change)
    elif change == "nan-lr":
        text = re.sub(r'"lr": [0-9.e+-]+', '"lr": NaN', _edit(run), count=1)
    else:
        text = change
    bad = _variant(run, tmp_path, text)
    argv = ["evaluate", str(bad)] if command == "evaluate" else ["train", "--resume", str(bad), "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert str(bad / 'config.json') in err and expected in err, err
    assert "Traceback" not in err


def test_every_field_of_config_json_damaged_in_turn_never_gives_a_traceback(toy_run, tmp_path, capsys):
    config = json.loads((toy_run / "config.json").read_text())
    bad = tmp_path / "bad"
    shutil.copytree(toy_run, bad)
    raw = []
    for key in config:
        for how, value in (("null", None), ("string", "x"), ("huge", 10**40), ("delete", ...)):
            changed = {k: v for k, v in config.items() if not (k == key and value is ...)}
            if value is not ...:
                changed[key] = value
            (bad / "config.json").write_text(json.dumps(changed))
            try:
                code = main(["evaluate", str(bad)])
            except Exception as e:  # noqa: BLE001 - a traceback is the failure this test looks for
                raw.append(f"{key} -> {how}: {type(e).__name__}: {e}")
                continue
            err = capsys.readouterr().err
            if code != 0 and str(bad) not in err:
                raw.append(f"{key} -> {how}: exit {code} without the file named: {err.strip()}")
    assert not raw, "\n".join(raw)
