"""`manage.py check --deploy` on the production settings, with the environment
docker-compose.yml gives the web service: no warnings at all."""
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_VALUES = {
    "SECRET_KEY": "x7Kq2-this-is-only-a-test-value-of-fifty-plus-random-looking-chars-9fQ",
    "POSTGRES_PASSWORD": "db-password",
    "MINIO_ROOT_USER": "chroma",
    "MINIO_ROOT_PASSWORD": "minio-password",
    "ALLOWED_HOSTS": "archive.example.org",
}


def _interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message} with SAMPLE_VALUES as the environment."""
    def replace(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in SAMPLE_VALUES:
            return SAMPLE_VALUES[name]
        assert op != ":?", f"{name} is required: add it to SAMPLE_VALUES"
        return arg or ""

    return re.sub(r"\$\{([A-Z_]+)(?:(:-|:\?)([^}]*))?\}", replace, str(value))


def _production_env() -> dict:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service_env = {key: _interpolate(value) for key, value in compose["services"]["web"]["environment"].items()}
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return {**keep, **service_env}


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_no_warnings_with_production_settings():
    env = _production_env()
    assert env["DJANGO_SETTINGS_MODULE"] == "archive_site.settings.production"
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = _production_env()
    del env["SECRET_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr
