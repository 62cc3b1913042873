import hashlib

import pytest
import torch

from apps.mlcore.gan.checkpoint import CheckpointError, load_generator, save_generator
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator


class Payload:
    """Any class: unpickling it would mean running code from the file."""

    def __reduce__(self):
        return (print, ("code ran",))


def _outputs(generator):
    torch.manual_seed(0)
    luma = torch.rand(1, 1, 32, 32) * 2 - 1
    noise = [torch.randn(1, *s) for s in generator.noise_shapes(32, 32)]
    with torch.no_grad():
        return generator.eval()(luma, noise)


def test_checkpoint_rebuilds_its_own_network(tmp_path):
    config = GeneratorConfig(base_filters=6, depth=3, max_filters=20, noise_channels=2, noise_levels=1)
    generator = UNetGenerator(config)
    path = tmp_path / "g.pt"
    save_generator(path, generator, name="unet", version="1.2.3", summary={"images": 7}, fp16=False)
    loaded, meta = load_generator(path)
    assert loaded.config == config
    assert meta["name"] == "unet" and meta["version"] == "1.2.3" and meta["summary"] == {"images": 7}
    assert meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    torch.testing.assert_close(_outputs(loaded), _outputs(generator))


def test_fp16_storage_halves_the_file_and_keeps_outputs_close(tmp_path):
    generator = UNetGenerator(GeneratorConfig(base_filters=8, depth=3, noise_levels=2))
    save_generator(tmp_path / "32.pt", generator, name="g", version="1", fp16=False)
    save_generator(tmp_path / "16.pt", generator, name="g", version="1", fp16=True)
    assert (tmp_path / "16.pt").stat().st_size < 0.6 * (tmp_path / "32.pt").stat().st_size
    loaded, _ = load_generator(tmp_path / "16.pt")
    assert next(loaded.parameters()).dtype == torch.float32
    torch.testing.assert_close(_outputs(loaded), _outputs(generator), atol=2e-2, rtol=0)


def test_loading_never_unpickles_code(tmp_path, capsys):
    generator = UNetGenerator(GeneratorConfig(base_filters=4, depth=2, noise_levels=1))
    payload = {"format_version": 1, "name": "x", "version": "1", "config": generator.config.to_dict(),
               "generator": generator.state_dict(), "summary": {"evil": Payload()}}
    path = tmp_path / "evil.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError):
        load_generator(path)
    assert "code ran" not in capsys.readouterr().out


def test_garbage_and_foreign_files_raise_checkpoint_error(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(CheckpointError):
        load_generator(tmp_path / "junk.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="missing keys"):
        load_generator(tmp_path / "other.pt")
