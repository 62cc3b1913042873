import importlib
import io
import json

import pytest
from PIL import Image

from apps.mlcore.gan import cli
from apps.mlcore.gan.provenance import read_provenance

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_colorize_command_writes_variants_with_provenance(tiny_checkpoint, make_rgb, tmp_path, capsys):
    scan = tmp_path / "scan 1.jpg"
    make_rgb(301, 7).convert("L").save(scan)
    status = cli.main(["colorize", str(scan), "--out", str(tmp_path / "out"), "--model", str(tiny_checkpoint),
                       "--seeds", "5", "6", "--size", "64", "--format", "jpeg", "--device", "cpu"])
    assert status == 0
    outputs = sorted((tmp_path / "out").iterdir())
    assert [p.name for p in outputs] == ["scan 1_seed5.jpg", "scan 1_seed6.jpg"]
    assert Image.open(outputs[0]).size == (301, 7)
    assert read_provenance(outputs[1])["seed"] == 6
    assert "seeds 5 6" in capsys.readouterr().out


def test_colorize_picks_random_seeds_for_variants_and_records_them(tiny_checkpoint, rgb_image, tmp_path):
    scan = tmp_path / "scan.png"
    rgb_image.save(scan)
    cli.main(["colorize", str(scan), "--out", str(tmp_path), "--model", str(tiny_checkpoint), "--variants", "3",
              "--size", "64", "--device", "cpu"])
    variants = sorted(tmp_path.glob("scan_seed*.png"))
    seeds = {read_provenance(p)["seed"] for p in variants}
    assert len(variants) == 3 and len(seeds) == 3
    assert {f"scan_seed{s}.png" for s in seeds} == {p.name for p in variants}


def test_colorize_reports_bad_inputs_and_missing_models(tiny_checkpoint, rgb_image, tmp_path, capsys):
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    rgb_image.save(good)
    bad.write_bytes(b"garbage")
    status = cli.main(["colorize", str(bad), str(good), "--out", str(tmp_path / "out"), "--model", str(tiny_checkpoint),
                       "--seeds", "1", "--size", "64"])
    assert status == 2 and "bad.png" in capsys.readouterr().err
    assert (tmp_path / "out" / "good_seed1.png").exists()  # the readable one was still done
    assert cli.main(["colorize", str(good), "--out", str(tmp_path), "--model", str(tmp_path / "none.pt")]) == 2
    assert "no model at" in capsys.readouterr().err


def test_default_model_missing_is_a_clear_error(monkeypatch, rgb_image, tmp_path, capsys):
    monkeypatch.setattr(cli, "DEFAULT_MODEL_PATH", tmp_path / "weights" / "default.pt")
    rgb_image.save(tmp_path / "x.png")
    assert cli.main(["colorize", str(tmp_path / "x.png"), "--out", str(tmp_path)]) == 2
    assert "shipped default model has not been trained yet" in capsys.readouterr().err


def test_train_then_evaluate_from_the_command_line(tmp_path, make_learnable, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(4):
        make_learnable(40, 36, seed=i).save(photos / f"p{i}.png")
    common = [str(photos), "--steps", "3", "--batch-size", "2", "--crop", "32", "--base-filters", "4", "--depth", "3",
              "--max-filters", "16", "--device", "cpu", "--val-fraction", "0.3"]
    assert cli.main(["train", *common, "--out", str(tmp_path / "gan"), "--name", "tiny-gan", "--model-version", "0.0.2"]) == 0
    assert cli.main(["train", *common, "--out", str(tmp_path / "l1"), "--no-adversarial", "--msgan", "0"]) == 0
    metrics = json.loads((tmp_path / "gan" / "metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["data"]["found"] == 4
    l1_config = json.loads((tmp_path / "l1" / "metrics.json").read_text())["train_config"]
    assert l1_config["adversarial"] is False and l1_config["lambda_ms"] == 0

    report_path, table_path = tmp_path / "eval.json", tmp_path / "eval.md"
    status = cli.main(["evaluate", "--model", str(tmp_path / "gan" / "generator.pt"), "--images", str(photos),
                       "--l1-baseline", str(tmp_path / "l1" / "generator.pt"), "--seeds", "1", "2", "--size", "32",
                       "--device", "cpu", "--json", str(report_path), "--markdown", str(table_path),
                       "--chroma-filter", "off", "--chroma-filter", "2,1e-3"])
    assert status == 0
    report = json.loads(report_path.read_text())
    assert [row["kind"] for row in report["rows"]] == ["grayscale", "l1-baseline", "model", "model"]
    assert [row["model"] for row in report["rows"][2:]] == ["tiny-gan 0.0.2", "tiny-gan 0.0.2 · chroma filter r=2, eps=0.001"]
    assert report["rows"][3]["merge"] == {"chroma_filter": {"radius": 2, "eps": 0.001}}
    filtered, plain = report["rows"][3], report["rows"][2]
    assert filtered["chroma_noise"] < plain["chroma_noise"]  # the filter removes speckle
    assert report["rows"][0]["chroma_noise"] == pytest.approx(0, abs=1e-9) and report["rows"][0]["hue_spread"] is None
    table = table_path.read_text()
    assert "grayscale input" in table and "(L1-only)" in table and "ΔE2000" in table and "chroma noise" in table
    with pytest.raises(SystemExit):  # argparse refuses a filter without eps
        cli.main(["evaluate", "--model", str(tmp_path / "gan" / "generator.pt"), "--images", str(photos), "--chroma-filter", "2"])
    assert table in capsys.readouterr().out


@pytest.mark.parametrize(("command", "option"), [("colorize", "--variants"), ("train_gan", "--msgan"), ("evaluate_gan", "--l1-baseline")])
def test_management_commands_share_the_cli_arguments(command, option, tiny_checkpoint, rgb_image, tmp_path):
    pytest.importorskip("django")
    module = importlib.import_module(f"apps.mlcore.management.commands.{command}")
    parser = module.Command().create_parser("manage.py", command)
    assert option in parser.format_help()
    if command == "colorize":  # the command's handle() drives the same code as the CLI
        rgb_image.save(tmp_path / "scan.png")
        options = vars(parser.parse_args([str(tmp_path / "scan.png"), "--out", str(tmp_path / "out"), "--model",
                                          str(tiny_checkpoint), "--seeds", "4", "--size", "64"]))
        module.Command(stdout=io.StringIO()).handle(**options)
        assert read_provenance(tmp_path / "out" / "scan_seed4.png")["seed"] == 4
