"""Checksummed, atomic downloads from a list of mirrors, with a progress bar on a terminal.

A file is fetched into a temporary file in its destination folder while its SHA-256 is computed;
only a file whose checksum matches is fsynced and renamed into place, so a crash, a network error or a
corrupted mirror never leaves a partial or wrong file behind. ``CHAINRULE_DATA_MIRROR`` (one base URL,
or several separated by spaces) replaces the built-in mirror lists, e.g. for a local mirror or tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
from pathlib import Path

from .idx import DatasetError

MIRROR_ENV = "CHAINRULE_DATA_MIRROR"


class DownloadError(DatasetError):
    """Every mirror failed; ``attempts`` lists ``(url, reason)`` for each one tried."""

    def __init__(self, message: str, attempts: list[tuple[str, str]]):
        super().__init__(message)
        self.attempts = attempts


def mirrors(default) -> list[str]:
    """The base URLs to try: those in ``$CHAINRULE_DATA_MIRROR`` if set, else ``default``."""
    env = os.environ.get(MIRROR_ENV, "").split()
    return env if env else list(default)


def search_report(root, dirs, download_on: bool, attempts, fetched: str, base_urls, into) -> list[str]:
    """The middle of a dataset's "cannot find" message, the same for every dataset: a missing ``root``,
    the folders looked in, and either why each download failed or where ``fetched`` would come from."""
    lines = []
    if root is not None and not root.is_dir():
        lines.append(f"The folder given as root={str(root)!r} does not exist; check the path.")
    lines += ["Looked in these folders:"] + [f"  {d}" for d in dirs]
    if download_on:
        lines += ["Download failed:"] + [f"  {url}: {why}" for url, why in attempts]
    else:
        lines.append(f"Downloading is off (download=False); with download=True {fetched} would be fetched from "
                     f"{', '.join(mirrors(base_urls))} into {into}.")
    return lines


def download(filename: str, sha256: str | None, folder, base_urls, *, timeout: float = 60.0,
             progress: bool | None = None) -> Path:
    """Download ``filename`` from the first of ``base_urls`` that serves it with the right checksum.

    Args:
        filename (str): the file name, appended to each base URL.
        sha256 (str or None): expected SHA-256 of the file, in hex; None only for a file whose sum is not
            pinned yet (the caller must then validate the content itself).
        folder (str or Path): destination folder (created if needed).
        base_urls (sequence of str): mirrors to try in order.
        timeout (float): seconds to wait for a server. Default: 60.0.
        progress (bool, optional): show a progress bar on stderr. Default: None (when stderr is a terminal).

    Returns:
        Path: ``folder / filename``.

    Raises:
        DownloadError: no mirror delivered the file with the right checksum.

    >>> download("t10k-labels-idx1-ubyte.gz", sha, "~/.cache/chainrule/mnist", MNIST_MIRRORS)  # doctest: +SKIP
    """
    import http.client  # imported here: urllib/http/ssl cost ~25 ms, paid only when downloading

    folder = Path(folder).expanduser()
    dest = folder / filename
    attempts: list[tuple[str, str]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DownloadError(f"cannot create the download folder {folder}: {e.strerror}", attempts) from e
    for base in base_urls:
        url = base.rstrip("/") + "/" + filename
        try:
            _fetch(url, dest, sha256.lower() if sha256 is not None else None, timeout, progress)
            return dest
        except (OSError, ValueError, http.client.HTTPException) as e:  # URLError, HTTPError, timeouts: OSError
            attempts.append((url, str(e) or type(e).__name__))
    tried = "\n".join(f"  {url}: {why}" for url, why in attempts) or "  (no mirrors configured)"
    raise DownloadError(f"could not download {filename}; tried:\n{tried}", attempts)


def _fetch(url: str, dest: Path, sha256: str | None, timeout: float, progress: bool | None) -> None:
    import urllib.request

    from chainrule.utils.progress import Bar, is_live  # here: chainrule.utils imports chainrule.data

    # named before it is created, and created inside the try: a Ctrl-C right after creation still removes it
    tmp = str(dest.parent / f".{dest.name}.{os.getpid()}.{secrets.token_hex(8)}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        request = urllib.request.Request(url, headers={"User-Agent": "chainrule"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            bar = (Bar(total or None, dest.name, unit="MB", scale=1e6)
                   if (progress if progress is not None else is_live(sys.stderr)) else None)
            digest, done = hashlib.sha256(), 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if bar:
                    bar.update(done)
            if bar:
                bar.finish()
            out.flush()
            os.fsync(out.fileno())
        if total and done != total:
            raise ValueError(f"incomplete download: got {done} of {total} bytes")
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ValueError(f"checksum mismatch: expected SHA-256 {sha256}, got {digest.hexdigest()}")
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:  # also Ctrl-C: never leave the temporary file behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fsync_dir(folder: Path) -> None:
    # make the rename durable; not every platform can open a directory
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
