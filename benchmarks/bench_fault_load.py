"""Fault-and-load benchmark (issue 11): the real stack under load while its worker is killed
mid-job and its Redis and PostgreSQL restart, then a check that nothing was lost or stuck.

The stack is what `./bin/start` runs — `manage.py start` (archive_site.launcher: gunicorn
and one ArchiveWorker on every queue, supervised) — on an embedded PostgreSQL and Redis of
the benchmark's own, under a folder of its own (CHROMA_VAR_DIR; media, static files and
TMPDIR inside it too), so nothing is shared with the development servers, the tests or the
system PostgreSQL. Only those embedded servers are ever stopped.

1. Set-up: the servers, a tiny registered model (active; `--model shipped` uses the
   repository's weights), grayscale scans (one large, for deep-zoom tiles), colour
   photographs in curated sets for training, users with API tokens; then the launcher,
   the derivatives, and a few approved colorizations (their tiles come from pyramids).
2. Load: `--clients` threads (requests.Session) for `--duration` seconds, in three kinds
   — search (the search API, and the search page), tiles (IIIF tiles of the large scan
   and of approved variants, at every scale) and the colorize API (each client posts a
   request, polls it until it ends, lists variants: one request in flight per client).
3. Faults, with the same load running: `--kills` SIGKILLs of the worker while a job is
   running (`--training-kills` of them training runs, the others colorizations), a few
   seconds into the job at random; only in an attempt that is not the job's last (a
   colorization's first, a training run's first or second), so every killed job has an
   attempt left. Colorize clients pause posting while a training kill waits for the
   worker to reach the training queue. `--redis-restarts` restarts of
   Redis (down `--redis-down` s each) and `--postgres-restarts` of PostgreSQL (down
   `--postgres-down` s), spread between the kills. The launcher restarts the killed
   worker; the worker's reconcile thread re-queues the killed job.
4. Drain and check: load stops; every job row must reach succeeded, or failed with a
   reason; every photograph its derivatives, every variant its pyramid; the queues and the
   started-job registries empty; no media file that no row refers to, and nothing left in
   the stack's TMPDIR. Every HTTP request must have had an answer; 5xx outside the
   PostgreSQL restart windows are findings.

    .venv/bin/python benchmarks/bench_fault_load.py [--quick] [--clients 20] [--duration 60] [--kills 20] ...

Prints the figures (Markdown) and writes them as JSON (`--json`). Exit status 1 when
something was lost, stuck, orphaned or answered 5xx outside a database restart.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_archive_db import BASE_DIR, machine, percentile  # noqa: E402
from bench_colorize_overhead import scan  # noqa: E402

WORDS = ["harbour", "tram", "station", "market", "bridge", "church", "school", "fishing", "boat", "storm", "street",
         "festival", "mill", "river", "square", "parade", "factory", "garden", "railway", "lighthouse"]
TERMINAL = {"succeeded", "failed", "cancelled"}


# --- the stack -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stack_environment(var_dir: Path, *, reconcile_interval: float) -> dict[str, str]:
    """The environment of the driver and of the stack: everything under `var_dir`."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "RQ_QUEUE_PREFIX", "MEDIA_ROOT", "IIIF_CACHE_ROOT", "MLCORE_TRAINING_DIR")}
    (var_dir / "tmp").mkdir(parents=True, exist_ok=True)
    env.update({
        "CHROMA_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "STATIC_ROOT": str(var_dir / "static"),
        "MODEL_CACHE_DIR": str(var_dir / "model-cache"),
        "TMPDIR": str(var_dir / "tmp"),
        "DJANGO_SETTINGS_MODULE": "archive_site.settings.dev",
        "DEBUG": "0",  # as in production: no query log, collected static files
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "MLCORE_DEVICE": "cpu",
        # 20 clients on one address would meet the anonymous API throttle at once; the
        # throttle (and its Redis cache) still runs on every anonymous request.
        "API_ANON_RATE": "1000000/min",
        # Recovery within the benchmark's minutes: the worker reconciles every few seconds,
        # a killed worker comes back after at most 2 s, lost derivative jobs count after 15 s.
        "JOB_RECONCILE_INTERVAL": str(reconcile_interval),
        "START_RESTART_MAX_S": "2",
        "DERIVATIVES_ENQUEUE_GRACE": "15",
    })
    return env


class StackDown(RuntimeError):
    """The launcher exited: the stack is down, the run cannot go on."""


@dataclass
class Window:
    what: str
    started: float  # time.monotonic()
    ended: float = math.inf


@dataclass
class Stack:
    var_dir: Path
    env: dict[str, str]
    port: int
    web_workers: int
    launcher: subprocess.Popen | None = None
    windows: list[Window] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_launcher(self) -> None:
        log = open(self.var_dir / "start.log", "ab")
        argv = [sys.executable, str(BASE_DIR / "manage.py"), "start", "--no-demo-data", "--port", str(self.port),
                "--web-workers", str(self.web_workers)]
        self.launcher = subprocess.Popen(argv, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.launcher.poll() is not None:
                raise SystemExit(f"manage.py start exited ({self.launcher.returncode}); see {self.var_dir / 'start.log'}")
            try:
                body = requests.get(f"{self.base_url}/healthz", timeout=10).json()
                if body["database"]["ok"] and body["redis"]["ok"] and body["workers"].get("count", 0) >= 1:
                    return body
            except (requests.RequestException, ValueError):
                pass
            time.sleep(1)
        raise SystemExit(f"the stack did not become healthy in {timeout} s; see {self.var_dir / 'start.log'}")

    def worker_pid(self) -> int | None:
        """The launcher's RQ worker process, found through /proc; raises StackDown when the
        launcher itself is gone."""
        if self.launcher.poll() is not None:
            raise StackDown(f"manage.py start exited ({self.launcher.returncode}); see {self.var_dir / 'start.log'}")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.launcher.pid and b"rqworker" in argv:
                return int(entry.name)
        return None

    def restart(self, server: str, down_s: float) -> Window:
        """Stop one embedded server, wait `down_s`, start it again (data kept)."""
        from archive_site import embedded

        window = Window(server, time.monotonic())
        self.windows.append(window)
        embedded.stop((server,))
        time.sleep(down_s)
        embedded.postgres_url() if server == "postgres" else embedded.redis_url()
        window.ended = time.monotonic()
        return window

    def stop(self) -> int | None:
        from archive_site import embedded

        code = None
        if self.launcher is not None and self.launcher.poll() is None:
            self.launcher.send_signal(signal.SIGINT)
            try:
                code = self.launcher.wait(60)
            except subprocess.TimeoutExpired:
                self.launcher.kill()
                code = self.launcher.wait()
        embedded.stop()
        return code


# --- data ----------------------------------------------------------------------------------------

def colour_photo(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([128 + 90 * np.sin(x / 70 + seed), 128 + 80 * np.cos(y / 55), 128 + 70 * np.sin((x + y) / 90)], axis=-1)
    rgb += rng.normal(0, 5, rgb.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def tiny_model(var_dir: Path):
    """A small generator (about 0.2 M parameters): the benchmark is about the plumbing, not colour."""
    import torch

    from apps.mlcore.gan.checkpoint import save_generator
    from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator
    from apps.mlcore.services import model_version_register

    torch.manual_seed(0)
    path = var_dir / "bench-tiny.pt"
    save_generator(path, UNetGenerator(GeneratorConfig(base_filters=8, depth=4, max_filters=32, noise_levels=2)), name="bench-tiny", version="0.0.1")
    return model_version_register(weights_path=path)


@dataclass
class Seeded:
    colorist_token: str
    photographs: list[int]  # grayscale scans to colorize
    tile_images: list[str]  # IIIF identifiers for the tile clients
    curated_sets: list[int]
    model: str


def seed_archive(args, var_dir: Path) -> tuple[Seeded, object]:
    """Rows and files through the archive's own services (derivatives wait for the worker)."""
    from django.contrib.auth.models import Group, User

    from apps.collections import services as archive
    from apps.mlcore import services as mlcore
    from apps.mlcore.services import model_version_activate
    from archive_site.services import api_token_rotate

    archivist = User.objects.create_user("bench-archivist", password=secrets.token_urlsafe(12))
    colorist = User.objects.create_user("bench-colorist", password=secrets.token_urlsafe(12))
    curator = User.objects.create_user("bench-curator", password=secrets.token_urlsafe(12))
    for user, group in ((archivist, "archivist"), (colorist, "colorist"), (curator, "curator")):
        user.groups.add(Group.objects.get(name=group))
    token = api_token_rotate(user=colorist).key

    if args.model == "tiny":
        model = model_version_activate(model_version=tiny_model(var_dir))
    else:
        model = mlcore.model_version_activate(model_version=mlcore.model_version_ensure_default())
    collection = archive.collection_create(title="Fault and load", slug="fault-load", is_published=True, user=archivist)
    rng = random.Random(0)
    width, height = (int(v) for v in args.scan_size.split("x"))
    photographs = []
    for index in range(args.photographs):
        words = " ".join(rng.sample(WORDS, 4))
        photographs.append(archive.photograph_ingest(
            collection=collection, file=io.BytesIO(scan(width, height, seed=index)), filename=f"scan-{index}.jpg",
            metadata={"identifier": f"FL-{index:03d}", "title": f"The {words}", "description": f"A view of the {words}.",
                      "date": str(1880 + index % 90), "rights_uri": "http://rightsstatements.org/vocab/NKC/1.0/"},
            user=archivist,
        ).photograph.pk)
    big_width, big_height = (int(v) for v in args.big_scan.split("x"))
    big = archive.photograph_ingest(
        collection=collection, file=io.BytesIO(scan(big_width, big_height, seed=999)), filename="big.jpg",
        metadata={"identifier": "FL-BIG", "title": "The harbour at low tide, a large scan",
                  "rights_uri": "http://rightsstatements.org/vocab/NKC/1.0/"}, user=archivist,
    ).photograph
    colour = [archive.photograph_ingest(
        collection=collection, file=io.BytesIO(colour_photo(320, 240, seed=index)), filename=f"colour-{index}.jpg",
        metadata={"identifier": f"FL-COL-{index}", "title": f"Colour {rng.choice(WORDS)}",
                  "rights_uri": "http://rightsstatements.org/vocab/NKC/1.0/"}, user=archivist,
    ).photograph.pk for index in range(args.colour_photographs)]
    sets = []
    for index in range(max(1, args.training_kills)):
        curated = mlcore.curated_set_create(name=f"Fault and load {index}", user=curator, holdout_fraction=0.34, seed=index)
        mlcore.curated_set_add_items(curated_set=curated, user=curator, photograph_ids=colour)
        sets.append(curated.pk)
    seeded = Seeded(token, photographs, [f"photograph-{big.pk}"], sets, f"{model.name} {model.version}")
    return seeded, (colorist, curator)


def wait_for(condition, *, timeout: float, what: str, every: float = 0.5):
    """Poll `condition()` (database reads retried over a restart) until it is truthy."""
    from django.db import InterfaceError, OperationalError, connections

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OperationalError, InterfaceError):
            connections.close_all()
            value = None
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def seed_colorizations(seeded: Seeded, colorist, count: int) -> None:
    """Approved variants for the tile clients, made by the stack's worker; their pyramids too."""
    from django.core.files.storage import default_storage

    from apps.collections.models import Photograph
    from apps.colorize import services as colorize
    from apps.colorize.models import ColorizationRequest
    from apps.colorize.services.pyramids import variant_pyramid_name

    made = [colorize.colorization_request_create(photograph=Photograph.objects.get(pk=pk), user=colorist, n_variants=2)
            for pk in seeded.photographs[:count]]
    ids = [request.pk for request in made]
    wait_for(lambda: not ColorizationRequest.objects.filter(pk__in=ids).exclude(status__in=TERMINAL).exists(), timeout=600, what="the seed colorizations")
    for request in ColorizationRequest.objects.filter(pk__in=ids, status="succeeded"):
        variant = request.variants.order_by("seed").first()
        colorize.variant_approve(variant=variant, user=colorist)
        seeded.tile_images.append(f"variant-{variant.pk}")
    names = [variant_pyramid_name(int(identifier.split("-")[1])) for identifier in seeded.tile_images if identifier.startswith("variant-")]
    wait_for(lambda: all(default_storage.exists(name) for name in names), timeout=300, what="the seed variants' pyramids")


# --- load ----------------------------------------------------------------------------------------

@dataclass
class Sample:
    phase: str
    kind: str
    label: str
    started: float
    seconds: float
    status: int  # 0: no answer (the error says why)
    error: str = ""


@dataclass
class Load:
    base_url: str
    seeded: Seeded
    clients: int
    samples: list[Sample] = field(default_factory=list)
    phase: str = "load"
    stop: threading.Event = field(default_factory=threading.Event)
    posting: threading.Event = field(default_factory=threading.Event)
    requests_made: list[int] = field(default_factory=list)  # colorization requests the clients created
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.posting.set()
        kinds = ("search", "tiles", "colorize")
        for index in range(self.clients):
            kind = kinds[index % 3]
            thread = threading.Thread(target=getattr(self, f"_{kind}"), args=(random.Random(index), kind), name=f"{kind}-{index}", daemon=True)
            self.threads.append(thread)
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)

    def _get(self, session: requests.Session, kind: str, label: str, url: str, **kwargs) -> requests.Response | None:
        return self._call(session, kind, label, "GET", url, **kwargs)

    def _call(self, session, kind, label, method, url, **kwargs) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = session.request(method, self.base_url + url, timeout=120, **kwargs)
            _ = response.content  # the whole body is part of the answer
        except requests.RequestException as error:
            self.samples.append(Sample(self.phase, kind, label, started, time.monotonic() - started, 0, f"{type(error).__name__}: {error}"[:300]))
            time.sleep(0.5)
            return None
        self.samples.append(Sample(self.phase, kind, label, started, time.monotonic() - started, response.status_code))
        return response

    def _search(self, rng: random.Random, kind: str) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            words = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
            if rng.random() < 0.25:
                self._get(session, kind, "search page", "/search/", params={"q": words})
            else:
                self._get(session, kind, "search API", "/api/photographs/", params={"q": words, "page_size": 20})

    def _tiles(self, rng: random.Random, kind: str) -> None:
        session = requests.Session()
        infos: dict[str, dict] = {}
        while not self.stop.is_set():
            identifier = rng.choice(self.seeded.tile_images)
            if identifier not in infos:
                response = self._get(session, kind, "info.json", f"/iiif/3/{identifier}/info.json")
                if response is None or response.status_code != 200:
                    continue
                infos[identifier] = response.json()
            info = infos[identifier]
            tile = info["tiles"][0]
            scale = rng.choice(tile["scaleFactors"])
            span = tile["width"] * scale
            x = rng.randrange(0, math.ceil(info["width"] / span)) * span
            y = rng.randrange(0, math.ceil(info["height"] / span)) * span
            w, h = min(span, info["width"] - x), min(span, info["height"] - y)
            label = "tile (photograph)" if identifier.startswith("photograph") else "tile (variant)"
            self._get(session, kind, label, f"/iiif/3/{identifier}/{x},{y},{w},{h}/{math.ceil(w / scale)},/0/default.jpg")

    def _colorize(self, rng: random.Random, kind: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.seeded.colorist_token}"
        while not self.stop.is_set():
            if not self.posting.is_set():
                self._get(session, kind, "colorize list", "/api/colorization-requests/", params={"page_size": 10})
                time.sleep(0.5)
                continue
            photograph = rng.choice(self.seeded.photographs)
            response = self._call(session, kind, "colorize POST", "POST", "/api/colorization-requests/",
                                  json={"photograph": photograph, "n_variants": 2})
            if response is None or response.status_code != 202:
                time.sleep(0.5)
                continue
            body = response.json()
            self.requests_made.append(body["id"])
            while not self.stop.is_set() and body.get("status") not in TERMINAL:
                time.sleep(1)
                polled = self._get(session, kind, "colorize GET", f"/api/colorization-requests/{body['id']}/")
                if polled is not None and polled.status_code == 200:
                    body = polled.json()
                if rng.random() < 0.3:
                    self._get(session, kind, "variants list", "/api/variants/", params={"page_size": 10})


# --- faults --------------------------------------------------------------------------------------

@dataclass
class Kill:
    kind: str  # colorization | training
    row_id: int
    attempt: int
    stage: str
    killed_at: float
    worker_pid: int
    worker_back_s: float | None = None  # until the launcher started a new worker process
    worker_ready_s: float | None = None  # until that process was registered in Redis, taking jobs


def worker_registered(pid: int) -> bool:
    import django_rq
    from django.conf import settings
    from redis.exceptions import RedisError
    from rq import Worker

    try:
        connection = django_rq.get_connection(next(iter(settings.RQ_QUEUES)))
        return any(worker.pid == pid for worker in Worker.all(connection=connection))
    except RedisError:
        return False


def fault_plan(kills: int, training_kills: int, redis: int, postgres: int) -> list[str]:
    """Kills in order (training ones spread out), Redis and PostgreSQL restarts between them."""
    plan = ["kill colorization"] * kills
    for index in range(training_kills):
        plan[round((index + 0.5) * kills / training_kills)] = "kill training"
    for index, fault in sorted(((round((i + 1) * kills / (redis + 1)), "restart redis") for i in range(redis)), reverse=True):
        plan.insert(index, fault)
    for index in range(postgres):
        plan.insert(round((index + 0.5) * len(plan) / postgres), "restart postgres")
    return plan


@dataclass
class Faults:
    stack: Stack
    load: Load
    seeded: Seeded
    curator: object
    rng: random.Random
    timeout: float
    down: dict[str, float]  # seconds each server stays stopped
    hyperparameters: dict  # of the training runs
    kills: list[Kill] = field(default_factory=list)
    restarts: list[dict] = field(default_factory=list)
    last_kill: dt.datetime | None = None
    training_runs: list[int] = field(default_factory=list)

    def run(self, plan: list[str]) -> None:
        from django.db import connections

        for step in plan:
            connections.close_all()  # the driver's own connection may not have survived a restart
            if step == "kill colorization":
                self.kill_colorization()
            elif step == "kill training":
                self.kill_training()
            else:
                server = step.split()[1]
                worker_before = self.stack.worker_pid()
                window = self.stack.restart(server, self.down[server])
                self.restarts.append({"server": server, "down_s": round(window.ended - window.started, 2),
                                      "worker_kept_running": self.stack.worker_pid() == worker_before})
                print(f"  restarted {server}: down {window.ended - window.started:.1f} s", flush=True)

    def _kill_running(self, model, kind: str, *, delay: float, ready=lambda row: True, gone=lambda: False) -> bool:
        """SIGKILL the worker while it runs a `model` row started after the last kill, in an
        attempt that is not its last, up to `delay` seconds into it (so kills land in every
        stage); False, without a kill, once `gone()` says the row waited for will not come."""
        from django.db.models import F
        from django.utils import timezone

        since = self.last_kill or timezone.now() - dt.timedelta(days=1)

        def running():
            pid = self.stack.worker_pid()
            if gone():
                return "gone", None
            row = (model.objects.filter(status="running", started_at__gt=since, attempts__lt=F("max_attempts"))
                   .order_by("-started_at").first())
            return (row, pid) if row is not None and pid and ready(row) else None

        row, pid = wait_for(running, timeout=self.timeout, what=f"a running {kind}", every=0.1)
        if row == "gone":
            return False
        time.sleep(self.rng.uniform(0, delay))
        row.refresh_from_db()
        if row.status != "running" or self.stack.worker_pid() != pid:
            return self._kill_running(model, kind, delay=delay, ready=ready, gone=gone)  # it ended meanwhile: the next one
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        self.last_kill = timezone.now()
        stage = getattr(row, "stage", "") or (row.progress or {}).get("stage", "")
        kill = Kill(kind, row.pk, row.attempts, stage, killed, pid)
        self.kills.append(kill)
        back = wait_for(lambda: (p := self.stack.worker_pid()) and p != pid and p, timeout=120, what="the worker to be started again", every=0.1)
        kill.worker_back_s = round(time.monotonic() - killed, 2)
        wait_for(lambda: self.stack.worker_pid() and worker_registered(back), timeout=600, what="the new worker to register", every=0.2)
        kill.worker_ready_s = round(time.monotonic() - killed, 2)
        print(f"  killed worker {pid} during {kind} {row.pk} (attempt {row.attempts}, {stage or 'running'}); "
              f"worker {back} started after {kill.worker_back_s} s, took jobs after {kill.worker_ready_s} s", flush=True)
        return True

    def kill_colorization(self) -> None:
        from apps.colorize.models import ColorizationRequest

        self._kill_running(ColorizationRequest, "colorization", delay=2.0)

    def kill_training(self) -> None:
        """Kill a training run that has an attempt left after this one (re-queued runs first,
        so most are killed twice and finish in their third attempt); a new run when none has."""
        from apps.mlcore.models import TrainingRun

        self.load.posting.clear()  # the worker takes the training queue once the gpu queue is empty
        try:
            while not self._kill_training_run(TrainingRun, self._training_target()):
                pass  # it finished before it could be killed: another one
        finally:
            self.load.posting.set()

    def _kill_training_run(self, model, run_id: int) -> bool:
        return self._kill_running(model, "training", delay=5.0, ready=lambda row: row.pk == run_id,
                                  gone=lambda: model.objects.filter(pk=run_id, status__in=TERMINAL).exists())

    def _training_target(self) -> int:
        from django.db.models import F, Q

        from apps.mlcore import services as mlcore
        from apps.mlcore.models import CuratedSet, TrainingRun

        killable = Q(status="running", attempts__lt=F("max_attempts")) | Q(status="queued", attempts__lt=F("max_attempts") - 1)
        run = TrainingRun.objects.filter(killable).order_by("pk").first()
        if run is None:
            if len(self.training_runs) == len(self.seeded.curated_sets):
                raise TimeoutError("no curated set left for another training run")
            curated = CuratedSet.objects.get(pk=self.seeded.curated_sets[len(self.training_runs)])
            run = mlcore.training_run_create(curated_set=curated, user=self.curator, hyperparameters=self.hyperparameters)
            self.training_runs.append(run.pk)
        return run.pk


# --- checks --------------------------------------------------------------------------------------

def job_rows_report() -> dict:
    from archive_site.rqjobs import job_row_kinds

    report = {}
    for model in job_row_kinds():
        rows = list(model.objects.values("pk", "status", "attempts", "error"))
        report[model.JOB_LABEL] = {
            "rows": len(rows),
            "status": dict(Counter(row["status"] for row in rows)),
            "active": [row["pk"] for row in rows if row["status"] not in TERMINAL],
            "failed_without_reason": [row["pk"] for row in rows if row["status"] == "failed" and not row["error"].strip()],
            "failed": [{"id": row["pk"], "attempts": row["attempts"], "error": row["error"][:300]} for row in rows if row["status"] == "failed"],
            "attempts": dict(Counter(row["attempts"] for row in rows)),
        }
    return report


def unfinished() -> list[str]:
    """What is still on its way: active job rows, pending derivatives, variants without a pyramid."""
    from django.core.files.storage import default_storage

    from apps.collections.models import Photograph
    from apps.colorize.models import Variant
    from apps.colorize.services.pyramids import PYRAMID_FOLDER
    from archive_site.rqjobs import job_row_kinds

    left = []
    for model in job_row_kinds():
        active = model.objects.exclude(status__in=TERMINAL).count()
        if active:
            left.append(f"{active} {model.JOB_LABEL}(s) active")
    pending = Photograph.objects.exclude(derivatives_status=Photograph.DerivativesStatus.READY).count()
    if pending:
        left.append(f"{pending} photograph(s) without derivatives")
    try:
        present = {name for name in default_storage.listdir(PYRAMID_FOLDER)[1]}
    except FileNotFoundError:
        present = set()
    missing = [pk for pk in Variant.objects.values_list("pk", flat=True) if f"{pk}.tif" not in present]
    if missing:
        left.append(f"{len(missing)} variant(s) without a pyramid")
    return left


def queues_report() -> dict:
    import django_rq
    from django.conf import settings

    report = {}
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        failed = queue.failed_job_registry
        report[name] = {"queued": queue.count, "started": queue.started_job_registry.count, "failed": failed.count,
                        "failed_jobs": [{"id": job.id, "error": (job.exc_info or "").strip().splitlines()[-1:]} for job in
                                        (queue.fetch_job(job_id) for job_id in failed.get_job_ids()[:10]) if job is not None]}
    return report


def orphan_files(var_dir: Path) -> dict:
    """Media files no row refers to (derived pyramids count for their row), and what is left in TMPDIR."""
    from django.apps import apps
    from django.conf import settings
    from django.db.models import FileField

    from apps.collections.models import Photograph
    from apps.collections.services.derivatives import photograph_pyramid_name
    from apps.colorize.models import Variant
    from apps.colorize.services.pyramids import variant_pyramid_name
    from apps.mlcore.models import TrainingRun

    referenced: set[str] = set()
    for model in apps.get_models():
        for field_ in model._meta.get_fields():
            if isinstance(field_, FileField):
                referenced.update(name for name in model._default_manager.values_list(field_.name, flat=True) if name)
    referenced.update(photograph_pyramid_name(p) for p in Photograph.objects.only("pk"))
    # A run that may still resume (active, or failed: a re-run resumes) keeps its checkpoints.
    workdirs = [Path(path).parent.parent for path in TrainingRun.objects.exclude(status__in=("succeeded", "cancelled"))
                .exclude(checkpoint_path="").values_list("checkpoint_path", flat=True)]
    referenced.update(variant_pyramid_name(pk) for pk in Variant.objects.values_list("pk", flat=True))
    for evaluation in TrainingRun.objects.values_list("evaluation", flat=True):
        referenced.update(name for sample in (evaluation or {}).get("samples", []) for name in sample["images"].values())
    media = Path(settings.MEDIA_ROOT)
    cache = media / "iiif-cache"
    files = [str(path.relative_to(media)) for path in media.rglob("*") if path.is_file() and cache not in path.parents]
    orphans = sorted(name for name in files if name not in referenced and not any(workdir in (media / name).parents for workdir in workdirs))
    # torch's compile cache and pgserver's lock folder are libraries' own, not jobs' leftovers.
    temporary = sorted(path.name for path in (var_dir / "tmp").iterdir() if not path.name.startswith(("torchinductor_", "runtime-")))
    return {"media_files": len(files), "orphans": orphans, "tmp_left": temporary}


# --- report --------------------------------------------------------------------------------------

def latency_table(samples: list[Sample], windows: list[Window]) -> list[dict]:
    rows = []
    groups: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[(sample.phase, sample.label)].append(sample)
    for (phase, label), group in sorted(groups.items()):
        answered = [s for s in group if s.status]
        seconds = [s.seconds for s in answered]
        span = max(s.started + s.seconds for s in group) - min(s.started for s in group)
        rows.append({
            "phase": phase, "request": label, "n": len(group), "per_s": round(len(group) / span, 1) if span > 0 else None,
            "p50_ms": round(percentile(seconds, 50) * 1000, 1) if seconds else None,
            "p95_ms": round(percentile(seconds, 95) * 1000, 1) if seconds else None,
            "p99_ms": round(percentile(seconds, 99) * 1000, 1) if seconds else None,
            "max_ms": round(max(seconds) * 1000, 1) if seconds else None,
            "status": dict(sorted(Counter(str(s.status) if s.status else f"no answer ({s.error.split(':')[0]})" for s in group).items())),
            "5xx_outside_db_restart": sum(1 for s in group if s.status >= 500 and not in_window(s, windows, "postgres")),
        })
    return rows


def in_window(sample: Sample, windows: list[Window], what: str, slack: float = 2.0) -> bool:
    """Whether the request overlapped a restart of `what` (plus `slack` seconds after it)."""
    end = sample.started + sample.seconds
    return any(w.what == what and sample.started <= w.ended + slack and end >= w.started for w in windows)


def markdown(results: dict) -> str:
    lines = [f"Machine: {results['machine']}; {results['date']}; load average at the start {results['load_start']}, "
             f"at the end {results['load_end']}; model: {results['model']}; wall time {results['wall_s']} s.", ""]
    lines += ["| phase | request | n | req/s | p50 ms | p95 ms | p99 ms | max ms | answers | 5xx outside a DB restart |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for row in results["latency"]:
        answers = ", ".join(f"{k}: {v}" for k, v in row["status"].items())
        lines.append(f"| {row['phase']} | {row['request']} | {row['n']} | {row['per_s']} | {row['p50_ms']} | {row['p95_ms']} | "
                     f"{row['p99_ms']} | {row['max_ms']} | {answers} | {row['5xx_outside_db_restart']} |")
    kills = results["kills"]
    back = [k["worker_back_s"] for k in kills if k["worker_back_s"] is not None]
    ready = [k["worker_ready_s"] for k in kills if k["worker_ready_s"] is not None]
    lines += ["", f"Phases: {results['phases']} (seconds).",
              f"Kills: {len(kills)} ({dict(Counter(k['kind'] for k in kills))}, stages {dict(Counter(k['stage'] for k in kills))}); "
              f"a new worker process after median {percentile(back, 50) if back else '—'} s (max {max(back) if back else '—'}), "
              f"taking jobs after median {percentile(ready, 50) if ready else '—'} s (max {max(ready) if ready else '—'}).",
              f"5xx during the PostgreSQL restarts: {results['5xx_in_db_restart']}.",
              f"Restarts: {results['restarts']}.",
              f"Killed rows ended: {results['recovery']}; colorization requests posted by the clients: {results['colorizations_posted']}.",
              f"Job rows: {json.dumps(results['job_rows'])}.",
              f"Queues after the drain: {json.dumps(results['queues'])}.",
              f"Files: {json.dumps(results['files'])}.",
              f"Verdict: {results['verdict']}."]
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def recovery(kills: list[Kill]) -> dict:
    """For each killed row: how long from the kill to its end, and how it ended."""
    from apps.colorize.models import ColorizationRequest
    from apps.mlcore.models import TrainingRun

    models = {"colorization": ColorizationRequest, "training": TrainingRun}
    ended = []
    for kill in kills:
        row = models[kill.kind].objects.get(pk=kill.row_id)
        ended.append((kill.kind, row.status))
    return dict(Counter(f"{kind} {status}" for kind, status in ended))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run: 6 clients for 15 s, 4 kills (2 training), 1 Redis and 1 PostgreSQL restart")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load before the faults")
    parser.add_argument("--kills", type=int, default=20, help="worker SIGKILLs while a job runs")
    parser.add_argument("--training-kills", type=int, default=6, help="how many of the kills hit a training run")
    parser.add_argument("--redis-restarts", type=int, default=5)
    parser.add_argument("--redis-down", type=float, default=3)
    parser.add_argument("--postgres-restarts", type=int, default=1)
    parser.add_argument("--postgres-down", type=float, default=3)
    parser.add_argument("--photographs", type=int, default=16, help="grayscale scans the colorize clients colorize")
    parser.add_argument("--scan-size", default="2000x1500", help="their size (the colorize job's length follows it)")
    parser.add_argument("--big-scan", default="4000x3000", help="the large scan the tile clients zoom into")
    parser.add_argument("--colour-photographs", type=int, default=6, help="colour photographs in each curated set")
    parser.add_argument("--training-steps", type=int, default=40)
    parser.add_argument("--model", choices=["tiny", "shipped"], default="tiny")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--reconcile-interval", type=float, default=5)
    parser.add_argument("--fault-timeout", type=float, default=240, help="seconds to wait for a job to kill")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--var-dir", type=Path, help="default: a new folder under var/, removed at the end unless --keep")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.duration, args.kills, args.training_kills = 6, 15, 4, 2
        args.redis_restarts, args.photographs = 1, 6
    args.training_kills = min(args.training_kills, args.kills)
    # Stop the stack cleanly on SIGTERM, and on Ctrl-C even when started in the background
    # (a shell without job control starts background commands with SIGINT ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    clock = time.monotonic()
    load_start = load_average()
    var_dir = (args.var_dir or Path(tempfile.mkdtemp(prefix="bench-fault-load-", dir=BASE_DIR / "var"))).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    env = stack_environment(var_dir, reconcile_interval=args.reconcile_interval)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    from archive_site import embedded

    print(f"stack under {var_dir}", flush=True)
    embedded.start()
    stack = Stack(var_dir, env, free_port(), args.web_workers)
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        stack.start_launcher()  # it boots while the archive is seeded; the derivatives wait for its worker
        seeded, (colorist, curator) = seed_archive(args, var_dir)
        print(f"seeded: {len(seeded.photographs)} scans, model {seeded.model}", flush=True)
        stack.wait_healthy()
        from apps.collections.models import Photograph

        wait_for(lambda: not Photograph.objects.exclude(derivatives_status=Photograph.DerivativesStatus.READY).exists(),
                 timeout=900, what="the derivatives")
        seed_colorizations(seeded, colorist, count=2)
        print(f"ready after {time.monotonic() - clock:.0f} s: tiles of {seeded.tile_images}", flush=True)

        phases = {"set-up": round(time.monotonic() - clock)}
        load = Load(stack.base_url, seeded, args.clients)
        load.start()
        time.sleep(args.duration)
        phases["load"] = args.duration
        mark = time.monotonic()
        load.phase = "faults"
        print(f"load phase done ({len(load.samples)} requests); faults", flush=True)
        faults = Faults(stack, load, seeded, curator, random.Random(1), args.fault_timeout,
                        down={"redis": args.redis_down, "postgres": args.postgres_down},
                        hyperparameters={"steps": args.training_steps, "batch_size": 2, "crop_size": 32, "checkpoint_every": 5,
                                         "eval_seeds": [0], "eval_working_size": 32, "eval_max_side": 96, "samples": 1,
                                         "discriminator": {"base_filters": 8, "layers": 2}})
        plan = fault_plan(args.kills, args.training_kills, args.redis_restarts, args.postgres_restarts)
        fault_error = None
        try:
            faults.run(plan)
        except (TimeoutError, StackDown) as error:
            fault_error = str(error)
            print(f"  fault phase stopped: {error}", flush=True)
        load.finish()
        phases["faults under load"], mark = round(time.monotonic() - mark), time.monotonic()
        print(f"faults done; draining ({len(load.samples)} requests in all)", flush=True)
        try:
            wait_for(lambda: not unfinished(), timeout=args.drain_timeout, what="the work to finish", every=2)
            stuck = []
        except TimeoutError:
            stuck = unfinished()
        phases["drain"] = round(time.monotonic() - mark)
        results = {
            "machine": machine(), "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_start": load_start, "load_end": load_average(), "model": seeded.model,
            "settings": {k: v for k, v in vars(args).items() if k not in ("var_dir", "json")},
            "latency": latency_table(load.samples, stack.windows),
            "kills": [vars(kill) for kill in faults.kills], "restarts": faults.restarts,
            "recovery": recovery(faults.kills),
            "job_rows": job_rows_report(), "queues": queues_report(), "files": orphan_files(var_dir),
            "stuck": stuck, "fault_error": fault_error, "phases": phases,
            "5xx_in_db_restart": sum(1 for s in load.samples if s.status >= 500 and in_window(s, stack.windows, "postgres")),
            "unanswered": sum(1 for s in load.samples if not s.status),
            "colorizations_posted": len(load.requests_made),
            "no_answer": [{"at_s": round(s.started - clock, 1), "request": s.label, "error": s.error} for s in load.samples if not s.status],
            "restart_windows": [{"server": w.what, "from_s": round(w.started - clock, 1), "to_s": round(w.ended - clock, 1)} for w in stack.windows],
        }
    finally:
        code = stack.stop()
    results["launcher_exit"] = code
    results["wall_s"] = round(time.monotonic() - clock)
    problems = []
    if results["stuck"]:
        problems.append(f"stuck: {results['stuck']}")
    if fault_error:
        problems.append(fault_error)
    if results["unanswered"]:
        problems.append(f"{results['unanswered']} requests without an answer")
    if any(row["5xx_outside_db_restart"] for row in results["latency"]):
        problems.append("5xx outside a database restart")
    if any(kind["failed_without_reason"] or kind["active"] for kind in results["job_rows"].values()):
        problems.append("job rows active or failed without a reason")
    if results["files"]["orphans"] or results["files"]["tmp_left"]:
        problems.append("orphan files")
    if any(queue["queued"] or queue["started"] for queue in results["queues"].values()):
        problems.append("jobs left in Redis")
    results["verdict"] = "; ".join(problems) or "nothing lost, nothing stuck, no 5xx outside the database restart"
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    if not args.keep and not args.var_dir:
        shutil.rmtree(var_dir, ignore_errors=True)
    else:
        print(f"kept {var_dir} (start.log: the stack's log)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
