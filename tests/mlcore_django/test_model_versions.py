"""The Django side of the model: registering checkpoints, one active version, the registry seam."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.mlcore import registry
from apps.mlcore.gan.checkpoint import file_sha256, save_generator
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator
from apps.mlcore.models import ModelVersion
from apps.mlcore.services import model_version_activate, model_version_ensure_default, model_version_register, model_version_retire

TINY = GeneratorConfig(base_filters=4, depth=3, max_filters=16, noise_levels=2)


@pytest.fixture
def checkpoint(tmp_path):
    def make(version="0.0.1", seed=0):
        import torch

        torch.manual_seed(seed)
        path = tmp_path / f"tiny-{version}.pt"
        save_generator(path, UNetGenerator(TINY), name="tiny", version=version)
        return path

    return make


@pytest.mark.django_db
def test_register_copies_weights_and_records_sha_and_config(checkpoint):
    path = checkpoint()
    version = model_version_register(weights_path=path)
    assert (version.name, version.version, version.status) == ("tiny", "0.0.1", "candidate")
    assert version.weights_sha256 == file_sha256(path)
    assert version.config["base_filters"] == 4
    with version.weights.open("rb") as stored:
        assert stored.read() == path.read_bytes()


@pytest.mark.django_db
def test_adding_a_version_in_the_admin_registers_the_checkpoint_or_says_why_not(checkpoint, superuser, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(superuser)
    page = client.get("/admin/mlcore/modelversion/add/")
    assert page.status_code == 200 and 'name="checkpoint"' in page.content.decode() and 'name="weights_sha256"' not in page.content.decode()

    def add(data: bytes, **fields):
        return client.post("/admin/mlcore/modelversion/add/", {"checkpoint": SimpleUploadedFile("g.pt", data), "name": "", "version": "", "notes": "", **fields})

    refused = add(b"not a checkpoint")
    assert refused.status_code == 200 and "Not a usable generator checkpoint" in refused.content.decode()
    assert not ModelVersion.objects.exists()

    path = checkpoint(version="0.3.0")
    response = add(path.read_bytes(), notes="from the lab")
    assert response.status_code == 302
    version = ModelVersion.objects.get()
    assert (version.name, version.version, version.notes, version.created_by) == ("tiny", "0.3.0", "from the lab", superuser)
    assert version.weights_sha256 == file_sha256(path) and version.config["base_filters"] == 4
    with version.weights.open("rb") as stored:
        assert stored.read() == path.read_bytes()

    again = add(path.read_bytes())
    assert again.status_code == 200 and "already exists" in again.content.decode()
    assert add(path.read_bytes(), version="0.3.1").status_code == 302
    assert ModelVersion.objects.count() == 2

    change = client.get(f"/admin/mlcore/modelversion/{version.pk}/change/").content.decode()
    assert 'name="weights"' not in change and 'name="checkpoint"' not in change  # the weights never change under a version


@pytest.mark.django_db
def test_register_refuses_a_file_that_is_not_a_checkpoint(tmp_path):
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not a checkpoint")
    with pytest.raises(ValidationError, match="Not a usable generator checkpoint"):
        model_version_register(weights_path=bogus)
    assert not ModelVersion.objects.exists()


@pytest.mark.django_db
def test_activate_keeps_exactly_one_active_and_retire_refuses_the_active(checkpoint):
    first = model_version_register(weights_path=checkpoint("1.0.0"), status="active")
    second = model_version_register(weights_path=checkpoint("1.1.0", seed=1))
    model_version_activate(model_version=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("candidate", "active")
    with pytest.raises(ValidationError):
        model_version_retire(model_version=second)
    assert model_version_retire(model_version=first).status == "retired"


@pytest.mark.django_db
def test_database_refuses_two_active_versions(checkpoint):
    first = model_version_register(weights_path=checkpoint("1.0.0"), status="active")
    second = model_version_register(weights_path=checkpoint("1.1.0", seed=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(status="active")
    assert ModelVersion.objects.filter(status="active").get() == first


@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_one_active(checkpoint):
    versions = [model_version_register(weights_path=checkpoint(f"1.{i}.0", seed=i)) for i in range(4)]
    barrier = threading.Barrier(len(versions))
    errors = []

    def activate(version):
        try:
            barrier.wait()
            model_version_activate(model_version=version)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ModelVersion.objects.filter(status="active").count() == 1


@pytest.mark.django_db
def test_ensure_default_registers_shipped_weights_once_and_activates(checkpoint, settings):
    settings.SHIPPED_MODEL_PATH = checkpoint("2.0.0")
    first = model_version_ensure_default()
    again = model_version_ensure_default()
    assert first == again and first.status == "active"
    assert ModelVersion.objects.count() == 1


@pytest.mark.django_db
def test_ensure_default_without_weights_is_none(tmp_path, settings):
    settings.SHIPPED_MODEL_PATH = tmp_path / "absent.pt"
    assert model_version_ensure_default() is None


@pytest.mark.django_db
def test_registry_loads_each_version_once_and_follows_activation(checkpoint):
    first = model_version_register(weights_path=checkpoint("1.0.0"), status="active")
    version, colorizer = registry.colorizer_for_active()
    assert version == first
    assert registry.colorizer_for(first) is colorizer  # cached, not reloaded
    second = model_version_register(weights_path=checkpoint("1.1.0", seed=1))
    model_version_activate(model_version=second)
    version, other = registry.colorizer_for_active()
    assert version == second and other is not colorizer
    assert {(first.pk, first.weights_sha256), (second.pk, second.weights_sha256)} <= set(registry.loaded_versions())


@pytest.mark.django_db
def test_registry_refuses_weights_altered_after_registration(checkpoint):
    version = model_version_register(weights_path=checkpoint("1.0.0"))
    with open(version.weights.path, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(registry.ModelUnavailable, match="sha256"):
        registry.colorizer_for(version)


@pytest.mark.django_db
def test_admin_retire_action_goes_through_the_service_and_reports_refusals(checkpoint, superuser, client):
    active = model_version_register(weights_path=checkpoint("1.0.0"), status="active")
    candidate = model_version_register(weights_path=checkpoint("1.1.0", seed=1))
    client.force_login(superuser)
    response = client.post("/admin/mlcore/modelversion/", {"action": "retire", "_selected_action": [active.pk, candidate.pk]}, follow=True)
    text = response.content.decode()
    assert "Retired: 1." in text and str(active) in text  # the active one is refused, with its name
    active.refresh_from_db()
    candidate.refresh_from_db()
    assert (active.status, candidate.status) == ("active", "retired")
