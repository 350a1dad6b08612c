"""Demo material shipped with the package, for the README walk-through and demonstrations.

`astronaut.jpg` is a public-domain NASA portrait of astronaut Eileen Collins, as scikit-image
distributes it (`skimage.data.astronaut()`), saved once as a JPEG: a photo of exactly one face,
so a demo probe passes intake without any test dependency installed.
"""

from __future__ import annotations

from importlib.resources import files

PROBE_FILE = "astronaut.jpg"
ATTRIBUTION = (
    "Eileen Collins, NASA astronaut: NASA photograph (NASA Great Images database), "
    "public domain; as distributed by scikit-image (skimage.data.astronaut)"
)


def demo_probe() -> bytes:
    """The demo probe's JPEG bytes, read from the installed package."""
    return (files(__name__) / PROBE_FILE).read_bytes()
