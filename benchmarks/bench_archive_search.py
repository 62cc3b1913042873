"""Search and browse latency with 100,000 photographs.

Loads catalogue rows (no files: derivatives are not needed) into a database of its own
(`chroma_bench_archive`, created and migrated on first run; rows are added only up to
--photographs), then times requests through Django's in-process test client — the whole
Django stack (middleware, auth, views, serializers, templates, PostgreSQL), without an HTTP
server in front — and prints median and p95 latencies as a Markdown table.

    .venv/bin/python benchmarks/bench_archive_search.py [--photographs 100000] [--repeat 20]
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_archive_db import machine, setup_django, summary_ms  # noqa: E402

WORDS = (
    "harbour quay pier lighthouse bridge tram station market church school street square river canal ship steamer "
    "fishing boat crane warehouse factory mill mine railway locomotive bicycle horse carriage parade festival wedding "
    "portrait family children workers sailors soldiers nurses teachers procession flood fire storm snow beach dunes "
    "farm harvest vineyard orchard garden park fountain monument theatre cinema hotel cafe bakery shop tailor "
    "printing press library museum hospital barracks airfield aeroplane airship motorcar omnibus tunnel dam"
).split()
PLACES = [f"{town}, {region}" for town in ("Valparaíso", "Bergen", "Cork", "Trieste", "Gdańsk", "Porto", "Hull", "Leith", "Rijeka", "Cádiz")
          for region in ("north district", "south district", "old town", "harbour front", "hills")]
CREATORS = [f"{last}, {first}" for last in ("Hansen", "Müller", "Rossi", "García", "Kowalski", "Murphy", "Silva", "Dubois")
            for first in ("Anna", "Ole", "Maria", "Jan", "Pierre", "Sean")]
SUBJECTS = [w.capitalize() for w in WORDS]
RIGHTS = [
    "http://rightsstatements.org/vocab/NoC-US/1.0/", "http://rightsstatements.org/vocab/CNE/1.0/",
    "http://rightsstatements.org/vocab/InC/1.0/", "https://creativecommons.org/publicdomain/zero/1.0/",
    "https://creativecommons.org/publicdomain/mark/1.0/",
]


def edtf_date(rng: random.Random) -> str:
    year = rng.randint(1850, 1989)
    return rng.choice([
        f"{year}", f"{year}~", f"{str(year)[:3]}X", f"{year}/{year + rng.randint(1, 6)}",
        f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", f"{year}?", "",
    ])


def load(target: int) -> float:
    from apps.collections import services
    from apps.collections.models import Collection, Photograph

    if Photograph.objects.count() >= target:
        return 0.0
    started = time.perf_counter()
    collections = list(Collection.objects.exclude(parent=None))
    if not collections:
        for f in range(5):
            # One fonds in five stays unpublished, so the visibility rule does real work.
            fonds = services.collection_create(title=f"Fonds {f}", slug=f"fonds-{f}", is_published=f != 4, user=None)
            for s in range(4):
                collections.append(services.collection_create(title=f"Series {f}.{s}", slug=f"series-{f}-{s}", parent=fonds, is_published=True, user=None))
    rng = random.Random(20201)
    bounds: dict[str, tuple] = {}
    existing = Photograph.objects.count()
    batch: list[Photograph] = []
    for n in range(existing, target):
        text = edtf_date(rng)
        if text not in bounds:
            bounds[text] = services.edtf_normalize(text)
        edtf, lower, upper = bounds[text]
        words = rng.sample(WORDS, 3)
        batch.append(Photograph(
            collection=rng.choice(collections), identifier=f"BN-{n:07d}",
            title=" ".join(words).capitalize(), creator=rng.choice(CREATORS), date=edtf, date_lower=lower, date_upper=upper,
            description=" ".join(rng.choices(WORDS, k=25)).capitalize() + ".", subjects=[s.capitalize() for s in rng.sample(WORDS, 3)],
            place=rng.choice(PLACES), rights_uri=rng.choice(RIGHTS), master=f"masters/bench/{n}.jpg",
            sha256=hashlib.sha256(f"bench-{n}".encode()).hexdigest(), file_size=5_000_000, width=4000, height=3000,
            mode="L" if n % 3 else "RGB", bit_depth=8, is_grayscale=bool(n % 3), has_approved_colorization=n % 17 == 0,
        ))
        if len(batch) == 5000:
            Photograph.objects.bulk_create(batch)
            batch.clear()
    Photograph.objects.bulk_create(batch)
    return time.perf_counter() - started


def vacuum() -> None:
    """What autovacuum does after a bulk load or a migration: statistics and the visibility map."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE collections_photograph")
        cursor.execute("VACUUM ANALYZE collections_collection")


def timed(client, url: str, params: dict, repeat: int) -> list[float]:
    response = client.get(url, params)  # warm-up, and a check that the URL works
    assert response.status_code == 200, (url, params, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        else:
            response.content  # noqa: B018 - rendered and read
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photographs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database", default="chroma_bench_archive")
    args = parser.parse_args()

    setup_django(args.database)
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from apps.collections.models import Photograph

    load_s = load(args.photographs)
    vacuum()
    total = Photograph.objects.count()
    client = Client()
    api = "/api/photographs/"
    cases = [
        ("search API, one common word", api, {"q": "harbour"}),
        ("search API, two words", api, {"q": "tram station"}),
        ("search API, phrase + exclusion", api, {"q": '"fishing boat" -storm'}),
        ("search API, word + date range + grayscale", api, {"q": "bridge", "date_from": "1900", "date_to": "1930", "grayscale": "true"}),
        ("search API, no query, collection filter (with descendants)", api, {"collection": "fonds-1"}),
        ("search API, no query, date range, sorted by date", api, {"date_from": "1914", "date_to": "1918", "order": "date"}),
        ("search API without facets", api, {"q": "harbour", "facets": "false"}),
        ("collection list API", "/api/collections/", {}),
        ("collection tree API", "/api/collections/tree/", {}),
    ]
    for label, name, kwargs, params in (
        ("collection page (portal)", "collections:collection", {"slug": "fonds-1"}, {}),
        ("search page (portal)", "collections:search", {}, {"q": "harbour"}),
    ):
        try:
            cases.append((label, reverse(name, kwargs=kwargs), params))
        except NoReverseMatch:
            print(f"(skipped: {label}, no such page)")

    rows, all_search = [], []
    for label, url, params in cases:
        times = timed(client, url, params, args.repeat)
        if url == api:
            all_search += times
        body = client.get(url, params)
        count = body.json().get("count", "") if body["Content-Type"].startswith("application/json") and isinstance(body.json(), dict) else ""
        rows.append(f"| {label} | `{url}` {params or ''} | {count} | {summary_ms(times)} |")
    print(f"\nmachine: {machine()}; {total:,} photographs" + (f" (loaded in {load_s:.0f} s)" if load_s else ""))
    print(f"anonymous requests, {args.repeat} timed runs each after one warm-up, page size 50\n")
    print("| request | URL | results | median ms | p95 ms |\n|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"| **all search API requests** | | | {summary_ms(all_search)} |")


if __name__ == "__main__":
    main()
