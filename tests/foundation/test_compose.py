"""docker-compose.yml (no Docker engine runs here): its structure, and that every service
gets the settings it needs, with no secret written into the file."""
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "cpu-worker", "gpu-worker")
APP_SETTINGS = (
    "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS",
    "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
)
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY", "DJANGO_ADMIN_PASSWORD")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service) -> str:
    command = service.get("command", [])
    return " ".join(command) if isinstance(command, list) else command


def test_every_part_of_the_system_is_a_service(compose):
    assert set(compose["services"]) == {"postgres", "redis", "minio", "minio-init", "migrate", "web", "cpu-worker", "gpu-worker"}
    assert set(compose["volumes"]) == {"postgres-data", "redis-data", "minio-data"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_every_setting_they_need(compose, name):
    env = compose["services"][name]["environment"]
    missing = [key for key in APP_SETTINGS if not env.get(key)]
    assert not missing, f"{name} lacks {missing}"
    assert env["DJANGO_SETTINGS_MODULE"] == "archive_site.settings.production"
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
    # The app talks to MinIO with MinIO's own credentials and the bucket minio-init creates.
    minio_env = compose["services"]["minio"]["environment"]
    assert env["AWS_ACCESS_KEY_ID"] == minio_env["MINIO_ROOT_USER"]
    assert env["AWS_SECRET_ACCESS_KEY"] == minio_env["MINIO_ROOT_PASSWORD"]
    assert env["AWS_STORAGE_BUCKET_NAME"] == compose["services"]["minio-init"]["environment"]["MEDIA_BUCKET"]
    # Same database password as the postgres service is given.
    password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert f"chroma:{password}@" in env["DATABASE_URL"]


def test_no_secret_is_written_into_the_file(compose):
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if key in SECRETS or key.endswith(("PASSWORD", "SECRET_KEY")):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*|:-)?\}", str(value)), f"{name}.{key} must come from the environment"


def test_services_start_in_order_and_report_health(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "minio", "web", "cpu-worker", "gpu-worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("web", "cpu-worker", "gpu-worker"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["minio-init"]["condition"] == "service_completed_successfully"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "manage.py prepare" in _command(services["migrate"])
    assert services["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert 'mc mb --ignore-existing "store/$$MEDIA_BUCKET"' in _command(services["minio-init"])


def test_data_lives_in_volumes(compose):
    services = compose["services"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert "minio-data:/data" in services["minio"]["volumes"]


def test_web_runs_gunicorn_and_workers_listen_to_their_queues(compose):
    services = compose["services"]
    assert _command(services["web"]).startswith("gunicorn archive_site.wsgi:application --bind 0.0.0.0:8000")
    cpu = _command(services["cpu-worker"]).split()
    assert cpu[:3] == ["python", "manage.py", "rqworker"] and "default" in cpu and "gpu" not in cpu
    gpu = _command(services["gpu-worker"])
    assert "rqworker gpu training" in gpu
    # No fork after CUDA initialisation: the in-process worker class.
    assert "--worker-class archive_site.worker.ArchiveWorker" in gpu


def test_gpu_worker_reserves_an_nvidia_gpu_and_installs_a_cuda_torch(compose):
    gpu = compose["services"]["gpu-worker"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "download.pytorch.org/whl/cu" in gpu["build"]["args"]["TORCH_INDEX_URL"]
    assert gpu["environment"]["MLCORE_DEVICE"] == "cuda"
    assert compose["services"]["web"].get("build", {}).get("args") is None  # CPU torch by default


def test_dockerfile_installs_the_pinned_torch_from_the_chosen_index_and_collects_static():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in dockerfile
    assert "grep -E '^torch==' requirements.txt" in dockerfile
    assert "collectstatic" in dockerfile
    assert "DJANGO_SETTINGS_MODULE=archive_site.settings.production" in dockerfile
    assert re.search(r"^USER \w+", dockerfile, re.M), "the app must not run as root"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)
