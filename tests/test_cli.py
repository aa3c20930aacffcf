"""The CLI through `main()` (in-process, fast) and once through `python -m siamese_core` (a real process)."""

import json
import os
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siamese_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
EVALUATE_KEYS = {
    "n_pairs",
    "auc",
    "eer",
    "eer_threshold",
    "best_threshold",
    "best_accuracy",
    "threshold",
    "accuracy_at_threshold",
    "mean_distance_similar",
    "mean_distance_dissimilar",
}


def test_evaluate_json_is_exactly_one_object(model_file, pair_csv, capsys):
    assert main(["evaluate", model_file, pair_csv, "--json"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out)  # the whole of stdout parses: nothing else was printed
    assert EVALUATE_KEYS <= set(result)
    assert result["n_pairs"] == 300
    assert 0.5 < result["auc"] <= 1.0


def test_evaluate_threshold_option_is_used(model_file, pair_csv, capsys):
    assert main(["evaluate", model_file, pair_csv, "--json", "--threshold", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["threshold"] == 0.0
    assert result["accuracy_at_threshold"] == pytest.approx(
        result["n_dissimilar"] / result["n_pairs"], abs=0.01
    )


def test_score_writes_input_rows_plus_distance_and_verdict(model_file, pair_csv, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, pair_csv, "-o", str(out), "--threshold", "0.5"]) == 0
    scored = pd.read_csv(out)
    original = pd.read_csv(pair_csv)
    assert list(scored.columns) == [*original.columns, "distance", "similar", "p_similar"]
    assert len(scored) == len(original)
    assert ((scored["distance"] <= 0.5) == scored["similar"]).all()
    assert "scored 300 pairs" in capsys.readouterr().out


def test_score_does_not_need_labels_and_neutralises_formulas(model_file, pair_csv, tmp_path):
    """In cells and in the header alike."""
    frame = pd.read_csv(pair_csv).drop(columns=["label"]).head(5)
    frame.insert(0, '=HYPERLINK("http://evil/")', ['=HYPERLINK("http://x")', "plain", "+1", "@x", "-2"])
    source = tmp_path / "unlabeled.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, str(source), "-o", str(out)]) == 0
    assert out.read_text().startswith('"\'=HYPERLINK(""http://evil/"")",a_f0,')
    scored = pd.read_csv(out)
    note = scored['\'=HYPERLINK("http://evil/")']
    assert note.tolist() == ['\'=HYPERLINK("http://x")', "plain", "'+1", "'@x", "'-2"]
    assert scored["distance"].notna().all()


def test_score_keeps_the_inputs_distance_and_similar_columns_and_says_so(
    model_file, pair_csv, tmp_path, capsys
):
    frame = pd.read_csv(pair_csv).head(5)
    frame.insert(0, "similar", ["yes", "no", "yes", "no", "yes"])
    frame.insert(0, "distance", [1.5, 2.5, 3.5, 4.5, 5.5])
    source = tmp_path / "scored_before.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, str(source), "-o", str(out), "--threshold", "0.5"]) == 0
    assert capsys.readouterr().out == (
        f"scored 5 pairs at threshold 0.5000; wrote {out} (the input has columns named distance, similar "
        "already, kept as they are: the added columns are distance_2, similar_2)\n"
    )
    scored = pd.read_csv(out)
    assert list(scored.columns) == [*frame.columns, "distance_2", "similar_2", "p_similar"]
    pd.testing.assert_frame_equal(scored[frame.columns], frame)
    assert ((scored["distance_2"] <= 0.5) == scored["similar_2"]).all()


def test_report_writes_html(model_file, pair_csv, tmp_path, tiny_outcome):
    out = tmp_path / "report.html"
    assert main(["report", model_file, pair_csv, "-o", str(out)]) == 0
    html = out.read_text()
    assert "<html" in html and "ROC" in html and "AUC" in html
    assert "<td>data file</td><td>pairs.csv</td>" in html.replace("\n", "")
    first_part = tiny_outcome.describe_splits().split("; ")[0]  # the split the model file records
    assert f"<li>{escape(first_part)}</li>" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "{model}", "{missing}"], "file not found"),
        (["evaluate", "{missing_model}", "{data}"], "no such model file"),
        (["evaluate", "{data}", "{data}"], "not a model file"),
        (["train", "{data}", "--out", "model.h5"], "--out must end in .keras"),
        (["train", "{data}", "--out", "m.keras", "--margin", "-1"], "margin must be > 0"),
        (["train", "{data}", "--out", "m.keras", "--hidden", "a,b"], "expected sizes such as 128,64"),
        (
            ["train", "{data}", "--out", "m.keras", "--batch-size", "0"],
            "expected a whole number >= 1 or auto",
        ),
        (
            ["train", "{data}", "--out", "m.keras", "--batch-size", "big"],
            "expected a whole number >= 1 or auto",
        ),
        (["train", "{data}", "--out", "m.keras", "--test", "{missing}"], "file not found"),
        (["evaluate", "{model}", "{data}", "--label-column", "nope"], "nope"),
        (["frobnicate"], "invalid choice"),
        (
            ["train", "{data}", "--out", "m.keras", "--stream", "--class-column", "label"],
            "streaming (--stream, a folder or a Parquet file) reads wide pair files, one pair per row",
        ),
        (
            ["train", "{data}", "--out", "m.keras", "--strategy", "multi-worker"],
            "the multi-worker strategy needs the TF_CONFIG environment variable on every machine",
        ),
        (
            ["train", "{data}", "--out", "m.keras", "--stream", "--chunk-rows", "0"],
            "chunk_rows must be a positive",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, model_file, pair_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    values = {
        "model": model_file,
        "data": pair_csv,
        "missing": str(tmp_path / "absent.csv"),
        "missing_model": str(tmp_path / "absent.keras"),
    }
    with (
        pytest.raises(SystemExit)
        if args[0] == "frobnicate" or {"--hidden", "--batch-size"} & set(args)
        else _no_exit() as exit_info
    ):
        status = main([arg.format(**values) for arg in args])
    if exit_info is not None and hasattr(exit_info, "value"):
        status = exit_info.value.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("rows", "advice"),
    [
        (
            ["0,1,2", "1,,4", "0,3,4"],
            "1 of 3 rows has missing values (empty cells), the first here; fill them "
            "in, or drop those rows (pass --drop-missing)",
        ),
        (["0,1,2", "maybe,3,4", "1,3,4"], "say which value means similar (pass --similar-label ...)"),
    ],
)
def test_the_command_line_names_its_own_flags_in_advice(rows, advice, tmp_path, capsys):
    data = tmp_path / "gaps.csv"
    data.write_text("label,a_x,b_x\n" + "\n".join(rows) + "\n")
    assert main(["train", str(data), "--out", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("siamese: error: gaps.csv, column ") and err.endswith(f"{advice}\n")
    assert "=True" not in err and "similar_label" not in err


OUT_OF_PLACE = [
    (
        ["report", "m.keras", "data.csv", "-o", "data.csv"],
        "-o data.csv would overwrite the data file data.csv; choose another path for -o",
    ),
    (
        ["report", "m.keras", "data.csv", "-o", "./data.csv"],
        "-o ./data.csv would overwrite the data file data.csv; choose another path for -o",
    ),
    (
        ["report", "m.keras", "pairs.csv", "--samples", "samples.csv", "-o", "samples.csv"],
        "-o samples.csv would overwrite the samples file samples.csv; choose another path for -o",
    ),
    (
        ["score", "m.keras", "data.csv", "-o", "m.keras"],
        "-o m.keras would overwrite the model file m.keras; choose another path for -o",
    ),
    (
        ["score", "m.keras", "link.csv", "-o", "data.csv"],
        "-o data.csv would overwrite the data file link.csv; choose another path for -o",
    ),
    (
        ["score", "m.keras", "data.csv", "-o", "hard.csv"],
        "-o hard.csv would overwrite the data file data.csv; choose another path for -o",
    ),
    (
        ["train", "data.csv", "--out", "old.keras", "--report", "twin.html"],
        "--report twin.html is also the path of --out; give each output its own file",
    ),
    (
        ["score", "m.keras", "data.csv", "-o", "/dev/null"],
        "-o /dev/null: it is not a regular file (a device, a pipe or a socket); give the path of a file",
    ),
    (
        ["report", "m.keras", "data.csv", "-o", "pipe.html"],
        "-o pipe.html: it is not a regular file (a device, a pipe or a socket); give the path of a file",
    ),
    (
        ["score", "m.keras", "parts", "-o", "parts/scores.csv"],
        "-o parts/scores.csv is inside the data folder parts, whose files are read; choose a path outside it "
        "for -o",
    ),
    (
        ["train", "data.csv", "--out", "new.keras", "--report", "new.keras"],
        "--report new.keras is also the path of --out; give each output its own file",
    ),
    (
        ["train", "data.csv", "--out", "new.keras", "--test", "new.keras"],
        "--out new.keras would overwrite the test file new.keras; choose another path for --out",
    ),
    (
        ["train", "data.csv", "--out", "folder.keras"],
        "--out folder.keras: it is a folder; give the path of a file",
    ),
    (
        ["score", "m.keras", "parts", "-o", "parts"],
        "-o parts would overwrite the data folder parts; choose another path for -o",
    ),
    (["report", "m.keras", "data.csv", "-o", "parts"], "-o parts: it is a folder; give the path of a file"),
    (
        ["train", "data.csv", "--out", "new.keras", "--report", "missing/report.html"],
        "--report missing/report.html: the folder missing does not exist; create it or write elsewhere",
    ),
    (
        ["train", "data.csv", "--out", "missing/new.keras"],
        "--out missing/new.keras: the folder missing does not exist; create it or write elsewhere",
    ),
    (
        ["score", "m.keras", "data.csv", "-o", "data.csv/scores.csv"],
        "-o data.csv/scores.csv: data.csv is a file, not a folder; write elsewhere",
    ),
    (
        ["train", "data.csv", "--out", "new.keras", "--log-dir", "data.csv"],
        "--log-dir data.csv is a file; give a folder (new or empty) for the TensorBoard logs",
    ),
    (
        ["train", "data.csv", "--out", "new.keras", "--log-dir", "parts"],
        "--log-dir parts is a folder that already holds files, whose runs would mix with this one's; give a "
        "new or empty folder, such as parts/run2",
    ),
    (
        ["train", "data.csv", "--out", "new.keras", "--log-dir", "new.keras"],
        "--log-dir new.keras is also the path of --out; give each output its own path",
    ),
    (
        ["train", "parts", "--out", "new.keras", "--log-dir", "parts/logs"],
        "--log-dir parts/logs is inside the data folder parts, whose files are read; choose a folder outside "
        "it for --log-dir",
    ),
    (
        ["export", "m.keras", "--format", "saved_model", "parts"],
        "DIR parts is a folder that is not empty; an export never writes over files: give a new or empty "
        "folder",
    ),
    (
        ["export", "m.keras", "data.csv"],
        "DIR data.csv is a file; an export is a folder and never replaces a file: give a new folder",
    ),
    (
        ["export", "m.keras", "./m.keras"],
        "DIR m.keras is the model file being exported; give a new folder for DIR",
    ),
]


@pytest.mark.parametrize(("args", "message"), OUT_OF_PLACE)
def test_an_output_that_would_destroy_an_input_or_cannot_be_written_is_refused_before_any_work(
    args, message, model_file, pair_csv, tmp_path, monkeypatch, capsys
):
    """Paths compare resolved (`./data.csv`, a link to it) and as files (a hard link); nothing is read,
    trained or written."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(model_file, "m.keras")
    shutil.copy(pair_csv, "data.csv")
    Path("link.csv").symlink_to("data.csv")
    Path("hard.csv").hardlink_to("data.csv")
    Path("old.keras").write_bytes(b"old")
    Path("twin.html").hardlink_to("old.keras")
    os.mkfifo("pipe.html")
    Path("parts").mkdir()
    shutil.copy(pair_csv, "parts/a.csv")
    Path("folder.keras").mkdir()
    Path("samples.csv").write_text("id,x\n1,2\n")
    Path("pairs.csv").write_text("id_a,id_b,label\n1,1,0\n")
    files = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert main(args) == 2
    assert capsys.readouterr() == ("", f"siamese: error: {message}\n")
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == files


def test_a_read_only_output_folder_is_refused_before_training(pair_csv, tmp_path):
    """In a real process: root may write anywhere, so as root it runs without that power (CAP_DAC_OVERRIDE)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    command = [sys.executable, "-m", "siamese_core", "train", pair_csv, "--out", "read-only/m.keras"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to run without root's power to write into read-only folders")
        command = ["setpriv", "--bounding-set=-dac_override", *command]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "siamese: error: --out read-only/m.keras: cannot write into the folder read-only (Permission denied); "
        "choose a folder you can write to\n",
    )
    assert list(folder.iterdir()) == []


class _no_exit:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_train_end_to_end_in_a_real_process(pair_csv, tmp_path):
    """`python -m siamese_core train` writes a model that `evaluate --json` then reads."""
    model = tmp_path / "m.keras"
    report = tmp_path / "r.html"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    train = subprocess.run(
        [
            sys.executable,
            "-m",
            "siamese_core",
            "train",
            pair_csv,
            "--out",
            str(model),
            "--epochs",
            "3",
            "--hidden",
            "16",
            "--embedding-dim",
            "4",
            "--test-fraction",
            "0.2",
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert train.returncode == 0, train.stderr
    assert "held-out metrics of the selection model" in train.stdout and "ROC AUC" in train.stdout
    assert "epoch 3/3" in train.stderr
    assert model.is_file() and report.is_file()
    evaluate = subprocess.run(
        [sys.executable, "-m", "siamese_core", "evaluate", str(model), pair_csv, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert evaluate.returncode == 0, evaluate.stderr
    assert EVALUATE_KEYS <= set(json.loads(evaluate.stdout))


def _write_pairs(path: Path, seed: int, n_pairs: int) -> None:
    from tests.conftest import pair_csv_text

    path.write_text(pair_csv_text(n_pairs=n_pairs, seed=seed))


TINY_OPTIONS = ["--epochs", "2", "--hidden", "16", "--embedding-dim", "4", "--batch-size", "32"]


@pytest.mark.parametrize("streamed", [False, True])
def test_train_with_a_test_file_says_the_plan_first_and_measures_the_final_model_on_it(
    pair_csv, tmp_path, capsys, streamed
):
    """Other samples in the test file (seed 1): no test split is cut from the data, the plan comes before
    the first epoch, and the metrics printed are those of the saved model on every test pair."""
    test = tmp_path / "test.csv"
    _write_pairs(test, seed=1, n_pairs=80)
    model = tmp_path / "m.keras"
    extra = ["--stream", "--chunk-rows", "64"] if streamed else []
    assert main(["train", pair_csv, "--out", str(model), "--test", str(test), *TINY_OPTIONS, *extra]) == 0
    out, err = capsys.readouterr()
    plan = next(line for line in err.splitlines() if line.startswith("plan: "))
    assert err.index(plan) < err.index("epoch 1/")
    assert re.match(r"plan: pairs: train [\d,]+, validation [\d,]+ \(split by samples\)", plan), plan
    assert (
        "then the final model is refit on all 300 pairs; the metrics come from the test file test.csv" in plan
    )
    assert "held-out metrics of the final model on 80 pairs of test.csv, whose samples it never saw" in out
    assert main(["evaluate", str(model), str(test), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    auc = float(next(line for line in out.splitlines() if "ROC AUC" in line).split()[-1])
    assert evaluated["n_pairs"] == 80 and evaluated["auc"] == pytest.approx(auc, abs=5e-5)


def test_train_without_refit_keeps_the_model_of_the_training_split(pair_csv, tmp_path, capsys):
    model = tmp_path / "m.keras"
    assert main(["train", pair_csv, "--out", str(model), "--no-refit", *TINY_OPTIONS]) == 0
    out, err = capsys.readouterr()
    assert "The final model is the one trained on the training split (no refit)" in err
    assert "held-out metrics of the model on" in out and "final model trained on" in err
    from siamese_core.bundle import load_model

    calibration = load_model(model).calibration  # fitted on the model's own validation pairs, said once
    assert calibration.pairs == "held-out pairs: the model's validation pairs"
    assert err.count(f"p_similar: {calibration.describe()}\n") == 1
    assert "p_similar calibration" in out  # its Brier score and ECE on the test split


def test_a_test_file_with_other_features_is_refused_before_training(pair_csv, tmp_path, capsys):
    test = tmp_path / "narrow.csv"
    test.write_text("label,a_x,b_x\n" + "".join(f"{i % 2},{i},{i + 3 * (i % 2)}\n" for i in range(8)))
    assert main(["train", pair_csv, "--out", str(tmp_path / "m.keras"), "--test", str(test)]) == 2
    err = capsys.readouterr().err
    error = err.splitlines()[-1]
    assert (
        error.startswith("siamese: error: narrow.csv:")
        and "the training data (pairs.csv) has 6 features" in error
    )
    assert "epoch" not in err and not (tmp_path / "m.keras").exists()


def test_bad_csv_in_a_real_process_prints_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,a_x,b_x\n0,1,oops\n1,2,3\n")
    result = subprocess.run(
        [sys.executable, "-m", "siamese_core", "train", str(bad), "--out", str(tmp_path / "m.keras")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "bad.csv" in lines[0] and "b_x" in lines[0] and "oops" in lines[0]


def test_train_streams_a_folder_of_parquet_files(pair_csv, tmp_path, capsys):
    """A folder of Parquet files is read a chunk at a time; the model saved loads and scores the CSV."""
    from siamese_core.bundle import load_model

    frame = pd.read_csv(pair_csv)
    folder = tmp_path / "parts"
    folder.mkdir()
    for index, part in enumerate((frame.iloc[:100], frame.iloc[100:250], frame.iloc[250:])):
        part.to_parquet(folder / f"part-{index}.parquet", index=False)
    model = tmp_path / "m.keras"
    options = [
        "--epochs",
        "3",
        "--hidden",
        "16",
        "--embedding-dim",
        "4",
        "--chunk-rows",
        "64",
        "--batch-size",
        "auto",
    ]
    assert main(["train", str(folder), "--out", str(model), "--no-leakage-check", *options]) == 0
    out, err = capsys.readouterr()
    assert f"saved {model}" in out and "ROC AUC" in out
    plan = next(line for line in err.splitlines() if line.startswith("plan: "))
    assert "(split by pairs at random)" in plan and "their samples may also be in training pairs" in plan
    assert "(split by pairs at random)" in err and "epoch 3/3" in err
    assert "test-split pairs (split at random: their samples may also be in its training pairs" in out
    assert "final model refit on all 300 pairs" in err
    bundle = load_model(model)
    assert bundle.train_config["batch_size"] == 32  # "auto" for a few hundred pairs, saved as the size used
    assert bundle.feature_names == [column[2:] for column in frame.columns if column.startswith("a_")]
    distances = bundle.distances(
        frame[[c for c in frame.columns if c.startswith("a_")]].to_numpy(),
        frame[[c for c in frame.columns if c.startswith("b_")]].to_numpy(),
    )
    similar = frame["label"].to_numpy() == 0
    assert distances[similar].mean() < distances[~similar].mean()


# ------------------------------------------------------------------------------------------------------
# Thresholds by error budget (issue 18): --threshold-at far=RATE | precision=SHARE.
# ------------------------------------------------------------------------------------------------------


def _distances_and_labels(model_file, data):
    """The model's distances on a pair CSV through the public API (float32, widened as evaluation widens
    them, so midpoints are taken in float64), and its labels."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from siamese_core.pipeline import score_pairs

    pairs = load_pair_csv(data)
    return score_pairs(load_model(model_file), pairs).astype(np.float64), pairs.labels


def _by_counting(distances, labels, *, far=None, precision=None) -> float:
    """The budget's threshold found by trying every distinct distance as the last one called similar:
    the most permissive within a false-match rate, or the most similar pairs called similar at a
    precision (fewest false matches among equals); midway to the next distinct distance."""
    distinct = np.unique(distances)
    similar = labels == 0
    best = None
    for index, distance in enumerate(distinct):
        called = distances <= distance
        tp, fp = int((called & similar).sum()), int((called & ~similar).sum())
        ok = fp / (~similar).sum() <= far if far is not None else tp / (tp + fp) >= precision
        if ok and (best is None or (far is not None or tp > best[1])):
            best = (index, tp)
    assert best is not None and best[0] + 1 < len(distinct)  # a threshold between two distances
    return float((distinct[best[0]] + distinct[best[0] + 1]) / 2)


def test_evaluate_threshold_at_far_is_chosen_on_the_pairs_and_the_json_has_the_tar(
    model_file, pair_csv, capsys
):
    """300 pairs, 153 dissimilar: FAR 1% allows 1 false match, so the TAR at 1% is measured; 0.1% would
    need 1,000 dissimilar pairs and is null."""
    distances, labels = _distances_and_labels(model_file, pair_csv)
    assert int((labels == 1).sum()) == 153
    expected = _by_counting(distances, labels, far=0.01)
    assert main(["evaluate", model_file, pair_csv, "--json", "--threshold-at", "far=0.01"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["threshold"] == pytest.approx(expected, abs=1e-12)
    called = distances <= result["threshold"]
    assert int((called & (labels == 1)).sum()) <= 1  # at most 1% of 153: one false match
    assert result["tar_at_far_0.01"] == pytest.approx((called & (labels == 0)).sum() / (labels == 0).sum())
    assert result["recall_at_threshold"] == result["tar_at_far_0.01"]  # the threshold is the TAR's
    assert result["tar_at_far_0.001"] is None
    assert err == (
        f"threshold {expected!r} chosen for at most 1% false matches on the 300 pairs of pairs.csv; "
        "chosen on the pairs it is measured on, it flatters the model\n"
    )


def test_evaluate_threshold_at_precision_and_the_tar_line(model_file, pair_csv, capsys):
    distances, labels = _distances_and_labels(model_file, pair_csv)
    expected = _by_counting(distances, labels, precision=0.95)
    assert main(["evaluate", model_file, pair_csv, "--threshold-at", "precision=0.95"]) == 0
    out, err = capsys.readouterr()
    assert f"  threshold                {expected:.4f}\n" in out
    called = distances <= expected
    assert (called & (labels == 0)).sum() / called.sum() >= 0.95
    from siamese_core.error_budget import tar_at_far

    tar = tar_at_far(distances, labels, 0.01)
    assert f"  TAR at FAR 1% / 0.1%     {tar:.4f} / n/a (needs 1,000 dissimilar pairs)\n" in out
    assert err.startswith(f"threshold {expected!r} chosen for at least 95% precision on the 300 pairs")


def test_an_unreachable_precision_exits_2_naming_the_best(model_file, pair_csv, tmp_path, capsys):
    """Labels flipped: the closest pairs are now labelled dissimilar, so precision 1 is out of reach;
    the message gives the highest precision any cut reaches, counted here."""
    frame = pd.read_csv(pair_csv)
    frame["label"] = 1 - frame["label"]
    flipped = tmp_path / "flipped.csv"
    frame.to_csv(flipped, index=False)
    distances, labels = _distances_and_labels(model_file, str(flipped))
    cuts = [(labels[distances <= d] == 0).sum() / (distances <= d).sum() for d in np.unique(distances)]
    best = max(cuts)
    assert best < 1
    assert main(["evaluate", model_file, str(flipped), "--threshold-at", "precision=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "siamese: error: no threshold reaches a precision of 1 on these 300 pairs: the highest any threshold "
        f"reaches is {best:.4g} ("
    )
    assert err.endswith("lower the precision target, or choose the threshold by its false-match rate\n")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["evaluate", "score", "report"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("far=2", "far must be a share from 0 to 1, such as 0.01 for 1%. Received: far=2"),
        ("precision=abc", "precision must be a number. Received: precision='abc'"),
        (
            "foo=0.1",
            "expected far=RATE or precision=SHARE, such as far=0.01 or precision=0.99. Received: 'foo=0.1'",
        ),
        (
            "far=1",
            "far=1 allows every dissimilar pair through; give a share below 1, such as far=0.01 for 1%",
        ),
    ],
)
def test_bad_threshold_at_values_exit_2_with_one_line_naming_the_flag(
    command, value, message, model_file, pair_csv, tmp_path, capsys
):
    output = [] if command == "evaluate" else ["-o", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exit_info:
        main([command, model_file, pair_csv, *output, "--threshold-at", value])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"siamese {command}: error: argument --threshold-at: {message} (see siamese {command} --help)\n"
    )


@pytest.mark.parametrize("command", ["evaluate", "score", "report"])
def test_threshold_and_threshold_at_are_one_or_the_other(command, model_file, pair_csv, tmp_path, capsys):
    output = [] if command == "evaluate" else ["-o", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exit_info:
        main([command, model_file, pair_csv, *output, "--threshold", "0.5", "--threshold-at", "far=0.01"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"siamese {command}: error: argument --threshold-at: not allowed with argument --threshold "
        f"(see siamese {command} --help)\n"
    )


def test_train_log_dir_writes_tensorboard_runs_and_the_held_out_samples_with_their_classes(tmp_path, capsys):
    """Labeled samples: the projector shows each held-out sample once, with its class, embedded by the model
    measured on them (the saved one, without a refit)."""
    from siamese_core.bundle import load_model
    from tests.conftest import FEATURES, clustered_samples

    features, classes = clustered_samples()
    frame = pd.DataFrame(features, columns=FEATURES)
    frame.insert(0, "kind", classes)
    data = tmp_path / "samples.csv"
    frame.to_csv(data, index=False)
    model, logs = tmp_path / "m.keras", tmp_path / "logs"
    options = ["--class-column", "kind", "--no-refit", "--log-dir", str(logs), *TINY_OPTIONS]
    assert main(["train", str(data), "--out", str(model), *options]) == 0
    out = capsys.readouterr().out
    assert sorted(path.name for path in logs.iterdir()) == ["training"]
    run = logs / "training"
    assert {path.name for path in run.iterdir()} >= {
        "projector_config.pbtxt",
        "embeddings.tsv",
        "metadata.tsv",
    }
    metadata = pd.read_csv(run / "metadata.tsv", sep="\t")
    assert list(metadata.columns) == ["class", "row"] and metadata["row"].is_unique
    assert metadata["class"].astype(str).tolist() == classes[metadata["row"] - 1].tolist()
    embeddings = np.loadtxt(run / "embeddings.tsv", delimiter="\t", ndmin=2)
    expected = load_model(model).embed(features[metadata["row"] - 1])
    np.testing.assert_allclose(embeddings, expected, rtol=1e-6, atol=1e-7)
    assert (
        f"TensorBoard logs in {logs} (runs: training); Embedding Projector: {len(metadata)} held-out samples in "
        f"{run}; view them with: tensorboard --logdir {logs}\n"
    ) in out


def test_export_writes_a_saved_model_that_gives_the_models_distances(model_file, pair_csv, tmp_path, capsys):
    import tensorflow as tf

    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv

    folder = tmp_path / "siamese"
    assert main(["export", model_file, "--format", "saved_model", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(
        f"exported model.keras as a TensorFlow SavedModel to {folder}: signatures distance(a, b) (the default) "
        "and embed(x), each row 6 float32 features"
    )
    pairs, bundle = load_pair_csv(pair_csv), load_model(model_file)
    served = tf.saved_model.load(str(folder)).signatures["distance"]
    distances = served(a=tf.constant(pairs.left), b=tf.constant(pairs.right))["distance"].numpy()
    np.testing.assert_allclose(distances, bundle.distances(pairs.left, pairs.right), rtol=1e-5, atol=1e-5)


def _samples_csv(tmp_path, name: str = "samples.csv") -> Path:
    """The conftest's clustered samples with ids, plus a near-copy of row 8 as row 161."""
    from tests.conftest import FEATURES, clustered_samples

    features, _ = clustered_samples()
    frame = pd.DataFrame(np.vstack([features, features[7] + 1e-4]), columns=FEATURES)
    frame.insert(0, "id", [f"s{i}" for i in range(len(frame))])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_duplicates_writes_the_closest_pairs_with_ids_and_p_similar(model_file, tmp_path, capsys):
    from siamese_core.bundle import load_model

    calibration = load_model(model_file).calibration
    out = tmp_path / "candidates.csv"
    source = str(_samples_csv(tmp_path))
    assert main(["duplicates", model_file, source, "-o", str(out), "--top", "3", "--id-column", "id"]) == 0
    candidates = pd.read_csv(out)
    assert list(candidates.columns) == ["row_a", "id_a", "row_b", "id_b", "distance", "p_similar"]
    assert len(candidates) == 3 and candidates["distance"].is_monotonic_increasing
    assert candidates.loc[0, ["row_a", "id_a", "row_b", "id_b"]].tolist() == [8, "s7", 161, "s160"]
    expected = np.interp(candidates["distance"], calibration.distances, calibration.probabilities)
    np.testing.assert_allclose(candidates["p_similar"], expected, rtol=1e-12)
    captured = capsys.readouterr()
    assert "the 3 closest pairs" in captured.out and "exact search" in captured.out
    assert captured.err == ""


def test_duplicates_against_another_table_at_the_models_threshold(model_file, tmp_path, capsys):
    from siamese_core.bundle import load_model

    source = _samples_csv(tmp_path)
    other = tmp_path / "other.csv"
    pd.read_csv(source).iloc[[160, 3]].to_csv(other, index=False)  # the copy of row 8, and row 4 itself
    out = tmp_path / "candidates.csv"
    assert main(["duplicates", model_file, str(source), "--against", str(other), "-o", str(out)]) == 0
    candidates = pd.read_csv(out)
    assert {(8, 1), (161, 1), (4, 2)} <= set(zip(candidates["row_a"], candidates["row_b"], strict=True))
    assert (candidates["distance"] <= load_model(model_file).threshold).all()
    captured = capsys.readouterr()
    assert "against 2 other rows" in captured.out
    assert "note: pairs kept at the model's threshold" in captured.err


def test_embed_writes_rows_ids_and_embeddings_to_parquet(model_file, tmp_path, capsys):
    from siamese_core.bundle import load_model

    source = _samples_csv(tmp_path)
    out = tmp_path / "embeddings.parquet"
    assert main(["embed", model_file, str(source), "-o", str(out), "--id-column", "id"]) == 0
    written = pd.read_parquet(out)
    features = pd.read_csv(source).drop(columns="id").to_numpy(np.float32)
    embeddings = load_model(model_file).embed(features)
    assert list(written.columns[:2]) == ["row", "id"] and len(written) == 161
    np.testing.assert_allclose(written.filter(like="embedding_").to_numpy(), embeddings, rtol=1e-5, atol=1e-6)
    assert capsys.readouterr().out == f"embedded 161 rows ({embeddings.shape[1]} dimensions); wrote {out}\n"


def test_embed_and_duplicates_refuse_bad_input_on_one_line(model_file, tmp_path, capsys):
    source = _samples_csv(tmp_path)
    text = tmp_path / "text.csv"
    frame = pd.read_csv(source).astype({"f3": object})
    frame.loc[4, "f3"] = "abc"
    frame.to_csv(text, index=False)
    out = str(tmp_path / "candidates.csv")
    cases = [
        (["embed", model_file, str(source), "-o", out], f"-o {out}: embeddings are written as Parquet"),
        (["duplicates", model_file, str(source), "-o", str(source)], "would overwrite the data file"),
        (
            ["duplicates", model_file, str(source), "-o", out, "--against", "absent.csv"],
            "absent.csv: file or",
        ),
        (
            ["duplicates", model_file, str(source), "-o", out, "--id-column", "key"],
            "samples.csv: has no column named 'key' to read ids from",
        ),
        (["duplicates", model_file, str(source), "-o", out, "--id-column", "key"], "(pass --id-column ...)"),
        (
            ["duplicates", model_file, str(text), "-o", out],
            "text.csv, column 'f3', row 5 (line 6): value 'abc'",
        ),
        (["embed", model_file, str(text), "-o", str(tmp_path / "e.parquet")], "text.csv, column 'f3', row 5"),
        (
            ["duplicates", model_file, str(source), "-o", out, "--top", "3", "--threshold", "0.1"],
            "not allowed",
        ),
        (["duplicates", model_file, str(source), "-o", out, "--k", "0"], "expected a whole number >= 1"),
    ]
    for argv, message in cases:
        try:
            status = main(argv)
        except SystemExit as exit_info:  # argparse's usage errors
            status = exit_info.code
        err = capsys.readouterr().err
        assert status == 2, argv
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
    assert not Path(out).exists() and not (tmp_path / "e.parquet").exists()


def test_score_threshold_at_chooses_on_the_files_own_labels(model_file, pair_csv, tmp_path, capsys):
    distances, labels = _distances_and_labels(model_file, pair_csv)
    expected = _by_counting(distances, labels, far=0.01)
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, pair_csv, "-o", str(out), "--threshold-at", "far=0.01"]) == 0
    assert capsys.readouterr().out == (
        f"scored 300 pairs at threshold {expected:.4f} (chosen for at most 1% false matches on the 300 "
        f"labelled pairs of pairs.csv: its verdicts on those very pairs flatter the model); wrote {out}\n"
    )
    scored = pd.read_csv(out)
    assert scored["similar"].tolist() == (distances <= expected).tolist()


def test_score_threshold_at_refuses_a_file_without_labels_and_says_how(
    model_file, pair_csv, tmp_path, capsys
):
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(pair_csv).drop(columns=["label"]).to_csv(unlabelled, index=False)
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, str(unlabelled), "-o", str(out), "--threshold-at", "far=0.01"]) == 2
    assert capsys.readouterr().err == (
        "siamese: error: --threshold-at chooses the threshold on labelled pairs, and unlabelled.csv has no "
        "label column (such as label, y or same; name another with --label-column): choose the threshold on "
        "labelled pairs with `siamese evaluate MODEL LABELLED.csv --threshold-at far=0.01`, then score with "
        "the threshold it prints as --threshold\n"
    )
    assert not out.exists()


def test_score_threshold_at_refuses_a_folder(model_file, pair_csv, tmp_path, capsys):
    folder = tmp_path / "parts"
    folder.mkdir()
    shutil.copy(pair_csv, folder / "part1.csv")
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, str(folder), "-o", str(out), "--threshold-at", "precision=0.9"]) == 2
    assert capsys.readouterr().err == (
        "siamese: error: --threshold-at on score chooses the threshold on the labels of one pair CSV, read "
        "whole; parts is a folder: choose the threshold on labelled pairs with `siamese evaluate MODEL "
        "LABELLED.csv --threshold-at precision=0.9`, then score with the threshold it prints as --threshold\n"
    )


def test_score_label_options_serve_threshold_at_only(model_file, pair_csv, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, pair_csv, "-o", str(out), "--label-column", "label"]) == 2
    assert capsys.readouterr().err == (
        "siamese: error: --label-column and --similar-label serve --threshold-at only: score reads no labels "
        "otherwise\n"
    )


def test_report_says_which_threshold_it_chose(model_file, pair_csv, tmp_path):
    distances, labels = _distances_and_labels(model_file, pair_csv)
    expected = _by_counting(distances, labels, precision=0.95)
    out = tmp_path / "report.html"
    assert main(["report", model_file, pair_csv, "-o", str(out), "--threshold-at", "precision=0.95"]) == 0
    html = out.read_text().replace("\n", "")
    assert (
        f"<td>threshold used</td><td>{expected:.6g}, chosen for at least 95% precision on the pairs of this "
        "report (chosen on the pairs it is measured on, it flatters the model)</td>"
    ) in html


def test_evaluate_gives_bootstrap_intervals_over_the_samples(model_file, pair_csv, capsys):
    """`evaluate --json` carries "auc_ci" ... "recall_ci": the bootstrap of the samples (equal feature
    vectors, counted here with NumPy's row-wise unique, not the hash the CLI uses) at the model's threshold;
    the summary shows each as "(95% CI low to high)", with the same numbers to 4 decimals."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from siamese_core.intervals import bootstrap_intervals, pair_sample_ids

    assert main(["evaluate", model_file, pair_csv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    model, pairs = load_model(model_file), load_pair_csv(pair_csv)
    n_samples = len(np.unique(np.concatenate([pairs.left, pairs.right]), axis=0))
    assert (found["ci_resampled"], found["ci_units"], found["ci_resamples"]) == ("samples", n_samples, 1000)
    assert n_samples < 2 * pairs.n_pairs  # samples recur in several pairs: resampling pairs would differ
    expected = bootstrap_intervals(
        model.distances(pairs.left, pairs.right),
        pairs.labels,
        sample_ids=pair_sample_ids(pairs.left, pairs.right),
        threshold=model.threshold,
    )
    for name in ("auc", "eer", "accuracy", "precision", "recall"):
        interval = getattr(expected, name)
        assert found[f"{name}_ci"] == pytest.approx([interval.low, interval.high], abs=1e-9), name
    assert found["auc_ci"][0] <= found["auc"] <= found["auc_ci"][1]

    assert main(["evaluate", model_file, pair_csv]) == 0
    out = capsys.readouterr().out
    low, high = found["auc_ci"]
    assert f"ROC AUC                  {found['auc']:.4f} (95% CI {low:.4f} to {high:.4f})\n" in out
    low, high = found["eer_ci"]
    assert f"equal error rate         {found['eer']:.4f} (95% CI {low:.4f} to {high:.4f}) at distance" in out
    low, high = found["recall_ci"]
    assert f" / {found['recall_at_threshold']:.4f} (95% CI {low:.4f} to {high:.4f}) / " in out
    assert f"  intervals: 95% intervals from 1,000 bootstrap resamples of the {n_samples:,} samples" in out


def _compared(model_a: str, model_b: str, data: str):
    """The core's comparison of the two model files on a pair CSV, as `compare-models` must report it."""
    from siamese_core.bundle import load_model
    from siamese_core.comparison import compare_models
    from siamese_core.data import load_pair_csv

    names = (Path(model_a).name, Path(model_b).name)
    return compare_models(load_model(model_a), load_model(model_b), load_pair_csv(data), names=names)


@pytest.fixture(scope="module")
def noisy_csv(tmp_path_factory) -> str:
    from tests.conftest import noisy_pair_csv_text

    path = tmp_path_factory.mktemp("compare") / "noisy.csv"
    path.write_text(noisy_pair_csv_text())
    return str(path)


def test_compare_models_prints_the_cores_numbers_and_a_verdict(
    model_file, selection_model_file, noisy_csv, capsys
):
    """Two models of one run (final and selection) on 150 pairs with every fifth label flipped: each line
    is the core's number (`comparison.compare_models`) as the summary writes it."""
    assert main(["compare-models", model_file, selection_model_file, noisy_csv]) == 0
    out = capsys.readouterr().out
    expected = _compared(model_file, selection_model_file, noisy_csv)
    auc, (first, second) = expected.auc, expected.results
    assert 0.5 < auc.auc_a < 1 and 0.5 < auc.auc_b < 1 and auc.difference != 0
    assert out.startswith(
        f"model A: model.keras (threshold {first.threshold:.4f})\n"
        f"model B: selection.keras (threshold {second.threshold:.4f})\n"
        f"pairs: 150 of noisy.csv ({first.n_similar} similar, {first.n_dissimilar} dissimilar), the same for "
        "both models\n"
    )
    a, b, d = auc.auc_a_interval, auc.auc_b_interval, auc.interval
    assert f"  ROC AUC of A             {auc.auc_a:.4f} (95% CI {a.low:.4f} to {a.high:.4f})\n" in out
    assert f"  ROC AUC of B             {auc.auc_b:.4f} (95% CI {b.low:.4f} to {b.high:.4f})\n" in out
    assert f"  AUC difference B - A     {auc.difference:+.4f} (95% CI {d.low:+.4f} to {d.high:+.4f})\n" in out
    assert f"  B ahead of A in          {auc.share_b_better:.1%} of the resamples (two-sided p = " in out
    assert f"  equal error rate A / B   {first.eer:.4f} / {second.eer:.4f}\n" in out
    assert "1,000 bootstrap resamples of the 139 samples (seed 0)" in out
    assert out.endswith(f"verdict: {auc.verdict()}\n")


def test_compare_models_json_is_the_cores_comparison(model_file, selection_model_file, noisy_csv, capsys):
    assert main(["compare-models", model_file, selection_model_file, noisy_csv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    expected = _compared(model_file, selection_model_file, noisy_csv)
    assert found == json.loads(json.dumps(expected.to_dict()))
    assert found["auc_difference"] == found["auc_b"] - found["auc_a"]
    assert found["auc_difference_ci"] == [expected.auc.interval.low, expected.auc.interval.high]
    assert (found["model_a"]["name"], found["model_b"]["name"]) == ("model.keras", "selection.keras")
    assert found["model_b"]["auc"] == pytest.approx(found["auc_b"])  # scikit-learn's AUC, the same one
    assert (found["ci_resampled"], found["ci_units"], found["ci_kept"]) == ("samples", 139, 1000)


def test_compare_models_of_a_model_with_itself_finds_no_difference(model_file, noisy_csv, capsys):
    assert main(["compare-models", model_file, model_file, noisy_csv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["auc_difference"], found["auc_difference_ci"], found["p_value"]) == (0.0, [0.0, 0.0], 1.0)
    assert found["auc_a_ci"] == found["auc_b_ci"]
    assert found["verdict"] == "no clear difference: the interval of the AUC difference includes 0"


def test_compare_models_report_shows_the_verdict_the_table_and_both_figures(
    model_file, selection_model_file, noisy_csv, tmp_path, capsys
):
    report = tmp_path / "compare.html"
    assert main(["compare-models", model_file, selection_model_file, noisy_csv, "--report", str(report)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"report written to {report}"
    page = report.read_text()
    expected = _compared(model_file, selection_model_file, noisy_csv)
    assert f"<strong>Verdict: {expected.auc.verdict()}.</strong>" in page
    assert "150 pairs of noisy.csv" in page
    for what, value in expected.summary():
        assert f"<td>{what}</td><td>{value}</td>" in page
    assert page.count("Plotly.newPlot") == 2  # the overlaid ROC curves and the two models' histograms
    assert page.count('<script type="text/javascript">') == 1  # plotly.js inline once, in the head


def test_compare_models_report_never_replaces_an_input(model_file, noisy_csv, capsys):
    before = open(noisy_csv, "rb").read()
    assert main(["compare-models", model_file, model_file, noisy_csv, "--report", noisy_csv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("siamese: error: ") and "--report" in err and len(err.strip().splitlines()) == 1
    assert open(noisy_csv, "rb").read() == before


def test_compare_models_names_the_model_that_cannot_read_the_file(
    model_file, tiny_outcome, pair_csv, tmp_path, capsys
):
    """Model B expects features g0..g5 (the same network, its features renamed); the file has f0..f5."""
    import dataclasses

    renamed = tmp_path / "renamed.keras"
    dataclasses.replace(tiny_outcome.bundle, feature_names=[f"g{i}" for i in range(6)]).save(renamed)
    assert main(["compare-models", model_file, str(renamed), pair_csv]) == 2
    err = capsys.readouterr().err
    assert err == (
        "siamese: error: pairs.csv: the file's features (f0, f1, f2, f3, ... (6 in all)) are not those of "
        "model B (renamed.keras) (g0, g1, g2, g3, ... (6 in all)); missing for example g0, g1, g2, g3, ... "
        "(6 in all). Rename the columns to match model B (renamed.keras)\n"
    )
    assert main(["compare-models", str(renamed), model_file, pair_csv]) == 2
    assert "model A (renamed.keras)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{model}", "{missing_model}", "{data}"], "no such model file"),
        (["{model}", "{model}", "{missing}"], "file not found"),
        (["{model}", "{model}", "{data}", "--label-column", "nope"], "nope"),
        (["{model}", "{model}", "{one_class}"], "both similar and dissimilar"),
        (["{model}", "{data}"], "the following arguments are required: TEST.csv"),
    ],
)
def test_compare_models_bad_input_exits_2_with_one_line(
    args, message, model_file, pair_csv, tmp_path, capsys
):
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("label,a_f0,b_f0\n0,1,2\n0,3,4\n")
    values = {
        "model": model_file,
        "data": pair_csv,
        "one_class": str(one_class),
        "missing": str(tmp_path / "absent.csv"),
        "missing_model": str(tmp_path / "absent.keras"),
    }
    argv = ["compare-models", *(arg.format(**values) for arg in args)]
    try:
        status = main(argv)
    except SystemExit as exit_info:  # argparse's usage errors
        status = exit_info.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _calibration_expected(model_file, data):
    """The Brier score and ECE of the model file's p_similar on a pair CSV, through the public API."""
    from siamese_core.bundle import load_model
    from siamese_core.calibration import calibration_metrics

    distances, labels = _distances_and_labels(model_file, data)
    return calibration_metrics(load_model(model_file).p_similar(distances), labels)


def test_evaluate_gives_the_brier_score_and_ece_of_p_similar(model_file, pair_csv, capsys):
    expected = _calibration_expected(model_file, pair_csv)
    assert main(["evaluate", model_file, pair_csv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["brier_score"] == pytest.approx(expected.brier)
    assert result["expected_calibration_error"] == pytest.approx(expected.ece)
    assert result["calibration_bins"] == 10
    assert sum(row["pairs"] for row in result["reliability"]) == 300
    assert main(["evaluate", model_file, pair_csv]) == 0
    line = f"  {'p_similar calibration':<24} Brier {expected.brier:.4f}, ECE {expected.ece:.4f} (10 bins)\n"
    assert line in capsys.readouterr().out


@pytest.fixture
def uncalibrated_model(model_file, tmp_path) -> str:
    """The tiny model saved without its calibration, as a model file made before calibrations were kept
    loads."""
    from dataclasses import replace

    from siamese_core.bundle import load_model

    path = tmp_path / "old.keras"
    replace(load_model(model_file), calibration=None).save(path)
    return str(path)


NO_CALIBRATION = (
    "note: old.keras has no calibration, so no p_similar (made before models kept one, or trained without "
    "held-out pairs of both classes; retrain it to get one)\n"
)


def test_a_model_without_calibration_is_said_once_and_scores_without_p_similar(
    uncalibrated_model, pair_csv, tmp_path, capsys
):
    out = tmp_path / "scores.csv"
    assert main(["score", uncalibrated_model, pair_csv, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == NO_CALIBRATION
    assert captured.out.startswith("scored 300 pairs")
    assert list(pd.read_csv(out).columns)[-2:] == ["distance", "similar"]
    assert main(["evaluate", uncalibrated_model, pair_csv, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == NO_CALIBRATION
    result = json.loads(captured.out)
    assert result["brier_score"] is None and result["expected_calibration_error"] is None


def test_score_writes_the_models_p_similar(model_file, pair_csv, tmp_path, capsys):
    from siamese_core.bundle import load_model

    calibration = load_model(model_file).calibration
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, pair_csv, "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    scored = pd.read_csv(out)
    expected = np.interp(scored["distance"], calibration.distances, calibration.probabilities)
    np.testing.assert_allclose(scored["p_similar"], expected, rtol=1e-12)


def test_report_shows_the_calibration_of_p_similar(model_file, pair_csv, tmp_path):
    from siamese_core.bundle import load_model

    expected = _calibration_expected(model_file, pair_csv)
    out = tmp_path / "report.html"
    assert main(["report", model_file, pair_csv, "-o", str(out)]) == 0
    html = out.read_text()
    assert "<h2>Calibration of p_similar</h2>" in html
    assert f'<td>Brier score of p_similar</td><td class="number">{expected.brier:.4f}</td>' in html
    assert f'(10 bins)</td><td class="number">{expected.ece:.4f}</td>' in html
    assert f"Reliability of p_similar (ECE {expected.ece:.4f}, Brier {expected.brier:.4f})" in html
    assert escape(load_model(model_file).calibration.describe()) in html
