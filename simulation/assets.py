"""Solara's front-end assets, prepared locally so the workshop app works with no internet.

Solara's page loads its JavaScript and CSS through the server's ``/_solara/cdn/`` route, which
serves files from a proxy cache folder and, on a miss, fetches them from a public CDN. A classroom
without internet would get a blank page. :func:`prepare` fills the cache ahead of time from the npm
registry (``npm pack``, then unpack), so the app never needs the CDN.

The cache folder is Solara's own setting: ``$SOLARA_ASSETS_PROXY_CACHE_DIR`` if set, else
``<sys.prefix>/share/solara/cdn`` (inside the virtual environment). Each package is unpacked into
a folder named exactly as the page requests it, e.g. ``requirejs@2.3.6/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/solara-vuetify3-app@5.2.0",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "katex@0.16.9",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)
"""npm packages the pages of solara 1.64 with Mesa 3.5 request, as ``name@version`` folder names."""

PREPARE_COMMAND = "uv run sovsim app --prepare-assets"
"""The command that prepares the assets, as the app and its errors tell a facilitator."""


def cache_dir() -> Path:
    """Return Solara's asset proxy cache folder (the setting Solara itself reads)."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(env) if env else Path(sys.prefix) / "share" / "solara" / "cdn"


def missing(folder: Path | None = None) -> list[str]:
    """Return the packages whose folder is absent or empty in the cache, in :data:`PACKAGES` order."""
    folder = cache_dir() if folder is None else folder
    return [p for p in PACKAGES if not (folder / p / "package.json").is_file()]


def prepare(folder: Path | None = None, force: bool = False, log=print) -> list[str]:
    """Download the missing packages from the npm registry and unpack them into the cache.

    Parameters
    ----------
    folder : Path, optional
        Cache folder; default :func:`cache_dir`.
    force : bool
        Download every package again, even those already present.
    log : callable
        Called with one line per package (``print`` by default).

    Returns
    -------
    list of str
        The packages that were downloaded.

    Raises
    ------
    RuntimeError
        If ``npm`` is not installed or a download fails; the message says which package.
    """
    folder = cache_dir() if folder is None else folder
    todo = list(PACKAGES) if force else missing(folder)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed to prepare the app's offline assets; install Node.js (e.g. "
            "`apt-get install npm`) and run the command again"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for spec in todo:
        log(f"fetching {spec}")
        with tempfile.TemporaryDirectory(prefix=".sovsim-assets-", dir=folder) as tmp:
            done = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            tarballs = list(Path(tmp).glob("*.tgz"))
            if done.returncode != 0 or len(tarballs) != 1:
                detail = done.stderr.strip().splitlines()[-1:] or ["no tarball"]
                raise RuntimeError(f"could not download {spec} from npm: {detail[0]}")
            unpacked = Path(tmp) / "unpacked"
            with tarfile.open(tarballs[0]) as tar:
                tar.extractall(unpacked, filter="data")
            # npm tarballs hold one top folder, usually "package/"
            (top,) = list(unpacked.iterdir())
            target = folder / spec
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            os.replace(top, target)
    return todo
