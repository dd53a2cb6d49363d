"""The landing-zone contract every source shares (docs/landing.md).

Fetch writes the raw response body here *before* anything parses it; load reads
from here only. That split is what makes ``--replay`` possible: any landing
archive rebuilds the warehouse, and a parser bug never costs us the bytes.

Layout: ``<landing>/<source>/<endpoint>/<capture>[__<key>].<ext>`` where capture
is ``YYYYMMDDTHHMMSSZ`` (UTC), key is %-escaped, ext is json/csv (+ ``.gz``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import orjson

from ingestion import clock

CAPTURE_FORMAT = "%Y%m%dT%H%M%SZ"
UTF8_BOM = b"\xef\xbb\xbf"
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_NAME_RE = re.compile(
    r"^(?P<capture>\d{8}T\d{6}Z)(?:__(?P<key>[^.]+))?\.(?P<ext>json|csv)(?P<gz>\.gz)?$"
)


def landing_root(environ: Mapping[str, str] | None = None) -> Path:
    """SNAPMART_LANDING_DIR, else data/landing under SNAPMART_HOME (or the cwd), as the
    environment (``os.environ`` unless given) says. A `snapmart` command or a Dagster run
    resolves it once (orchestration/runtime/settings.py) and passes ``root`` down; the
    functions here fall back on it when called without one."""
    env = os.environ if environ is None else environ
    configured = env.get("SNAPMART_LANDING_DIR")
    if configured:
        return Path(configured).resolve()
    base = Path(env.get("SNAPMART_HOME", Path.cwd()))
    return (base / "data" / "landing").resolve()


def format_capture(ts: datetime) -> str:
    """An aware datetime → its capture text (CAPTURE_FORMAT, in UTC, whole seconds); a naive one
    is a ValueError."""
    if ts.tzinfo is None:
        raise ValueError("capture times must be timezone-aware (UTC)")
    return ts.astimezone(UTC).strftime(CAPTURE_FORMAT)


def parse_capture(text: str) -> datetime:
    """CAPTURE_FORMAT → aware UTC datetime. Sliced by hand: a tick parses every name of
    a source's archive (≈ 100k for a year of OSRS buckets) and strptime cost 6 s of that."""
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not text[:8].isdigit():
        raise ValueError(f"{text!r} is not a capture time {CAPTURE_FORMAT}")
    try:
        return datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]),
            int(text[9:11]), int(text[11:13]), int(text[13:15]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a capture time {CAPTURE_FORMAT}: {exc}") from None


def escape_key(key: str) -> str:
    """A file key as it appears in a landing name: %-escaped, ``.`` included
    (docs/landing.md)."""
    # '.' is escaped too, so the first dot in a name always starts the extension.
    return quote(key, safe="@-_~").replace(".", "%2E")


@dataclass(frozen=True)
class LandingFile:
    """One archived response, named by the contract."""

    path: Path
    source: str
    endpoint: str
    captured_at: datetime
    key: str | None
    ext: str
    compressed: bool

    @property
    def relative(self) -> str:
        """Path under the landing root: the file's identity in load state and rejects."""
        return f"{self.source}/{self.endpoint}/{self.path.name}"

    @property
    def snapshot(self) -> tuple[str, str, datetime, str | None]:
        """What the file is a capture of: two files with the same snapshot (a .json and
        its .json.gz, say) hold the same records."""
        return (self.source, self.endpoint, self.captured_at, self.key)

    def read_bytes(self) -> bytes:
        """The body as it was received: the file's bytes, gunzipped when the name ends ``.gz``."""
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.compressed else data

    def read_text(self) -> str:
        """The body as text; a leading UTF-8 byte-order mark is not part of it."""
        return self.read_bytes().decode("utf-8").removeprefix("\ufeff")

    def read_json(self) -> Any:
        """The body as JSON, the same for every source: a leading UTF-8 BOM is dropped
        (RFC 8259 lets a parser ignore it), and the ``NaN`` / ``Infinity`` literals some
        APIs emit parse as floats, so the record holding one is rejected by its own
        checks instead of the whole file. orjson for speed; the standard library, which
        accepts those literals, when orjson refuses — and for any body holding a run of
        19 digits or more, since orjson turns an integer beyond 64 bits into a float
        (``10**20`` → ``1e+20``) and a check must see the number that was sent."""
        data = self.read_bytes().removeprefix(UTF8_BOM)
        if _LONG_DIGITS.search(data) is None:
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
        return json.loads(data.decode("utf-8"))

    def sha256(self) -> str:
        """Hex SHA-256 of the file as stored (compressed bytes for a ``.gz``): the content hash
        ``landing_files`` remembers to tell a changed file from a loaded one."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @classmethod
    def parse(cls, path: Path) -> LandingFile:
        """Name → parts; a name that breaks the contract is a ValueError that says why."""
        match = _NAME_RE.match(path.name)
        if not match:
            raise ValueError(
                f"{path.name!r} does not follow <capture>[__<key>].<json|csv>[.gz] "
                f"with capture as YYYYMMDDTHHMMSSZ"
            )
        key = match["key"]
        return cls(
            path=path,
            source=path.parent.parent.name,
            endpoint=path.parent.name,
            captured_at=parse_capture(match["capture"]),
            key=unquote(key) if key is not None else None,
            ext=match["ext"],
            compressed=bool(match["gz"]),
        )


def file_name(captured_at: datetime, key: str | None = None, ext: str = "json") -> str:
    """The contract's name for a capture: ``<capture>[__<key>].<ext>``, the key %-escaped; a
    naive ``captured_at`` is a ValueError."""
    suffix = f"__{escape_key(key)}" if key else ""
    return f"{format_capture(captured_at)}{suffix}.{ext}"


def write_atomic(
    source: str,
    endpoint: str,
    captured_at: datetime,
    body: bytes,
    key: str | None = None,
    ext: str = "json",
    root: Path | None = None,
    durable: bool = True,
) -> LandingFile:
    """Archive one response body: temp file + fsync + rename, so no reader sees half a file.

    Writing the same name again replaces the file only when the bytes differ (a
    bucket re-fetched after late trades); the loader keys its state on the
    content hash, so a replaced file is loaded again and its rows merge over.
    """
    folder = (root or landing_root()) / source / endpoint
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_name(captured_at, key, ext)
    if target.exists() and target.read_bytes() == body:
        return LandingFile.parse(target)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            if durable:  # bulk writers of simulated history skip the fsync
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return LandingFile.parse(target)


def _entries(
    source: str, endpoints: Iterable[str] | None, root: Path | None
) -> Iterator[tuple[str, os.DirEntry]]:
    """(endpoint, file) of a source's endpoint folders, unparsed (hidden temp files left
    out)."""
    base = (root or landing_root()) / source
    if not base.is_dir():
        return
    wanted = set(endpoints) if endpoints else None
    for endpoint_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        if wanted is not None and endpoint_dir.name not in wanted:
            continue
        with os.scandir(endpoint_dir) as entries:
            for entry in entries:
                if not entry.name.startswith(".") and entry.is_file():
                    yield endpoint_dir.name, entry


def _parsed(entry: os.DirEntry) -> LandingFile | tuple[Path, str]:
    path = Path(entry.path)
    try:
        return LandingFile.parse(path)
    except ValueError as exc:
        return (path, str(exc))


def _oldest_first(found: list[LandingFile | tuple[Path, str]]) -> list:
    def order(item: LandingFile | tuple[Path, str]) -> tuple:
        if isinstance(item, LandingFile):
            return (item.captured_at, item.endpoint, item.path.name)
        return (datetime.max.replace(tzinfo=UTC), "", item[0].name)

    return sorted(found, key=order)


def iter_landing_files(
    source: str, endpoints: Iterable[str] | None = None, root: Path | None = None
) -> Iterator[LandingFile | tuple[Path, str]]:
    """Every file of a source, oldest capture first.

    A file whose name breaks the contract is yielded as ``(path, reason)`` so
    the loader can reject it visibly instead of skipping it in silence.
    """
    yield from _oldest_first([_parsed(e) for _, e in _entries(source, endpoints, root)])


def newest_per_key(source: str, endpoint: str, root: Path | None = None) -> dict[str, LandingFile]:
    """Each key's newest file of one endpoint (a player's last answer, a symbol's last
    page): one directory listing, however many keys."""
    newest: dict[str, LandingFile] = {}
    for f in iter_landing_files(source, [endpoint], root):  # oldest first: later ones win
        if isinstance(f, LandingFile) and f.key:
            newest[f.key] = f
    return newest


def newest_file(source: str, endpoint: str, root: Path | None = None) -> LandingFile | None:
    """An endpoint's newest file by capture time (a config's last archived version, the
    last fetch log)."""
    newest = None
    for f in iter_landing_files(source, [endpoint], root):
        if isinstance(f, LandingFile) and (newest is None or f.captured_at > newest.captured_at):
            newest = f
    return newest


def archive_if_changed(
    source: str,
    endpoint: str,
    at: datetime,
    body: bytes,
    ext: str = "json",
    root: Path | None = None,
) -> LandingFile | None:
    """Archive a versioned config (tracked players, assets, events) only when it differs
    from its newest archived version, so the warehouse knows what was tracked when."""
    newest = newest_file(source, endpoint, root)
    if newest is not None and newest.read_bytes() == body:
        return None
    return write_atomic(source, endpoint, at, body, ext=ext, root=root)


@dataclass(frozen=True)
class LoadedFile:
    """What the warehouse remembers of a loaded landing file."""

    sha256: str
    size: int | None = None
    modified_ns: int | None = None
    load_id: str | None = None  # the dlt load that loaded it


def pending_files(
    source: str,
    loaded: dict[str, LoadedFile],
    endpoints: Iterable[str] | None = None,
    root: Path | None = None,
) -> list[LandingFile | tuple[Path, str]]:
    """Files not loaded yet, oldest capture first: new names, or names whose content
    changed since.

    A file whose size and modification time match what was loaded is taken as
    unchanged without reading it, and without parsing its name, so a tick's cost
    follows the new files, not the archive: only a file that looks touched is hashed
    to decide.
    """
    pending: list[LandingFile | tuple[Path, str]] = []
    for endpoint, entry in _entries(source, endpoints, root):
        rel = f"{source}/{endpoint}/{entry.name}"
        previous = loaded.get(rel)
        if previous is not None:
            stat = entry.stat()
            if (previous.size, previous.modified_ns) == (stat.st_size, stat.st_mtime_ns):
                continue
        item = _parsed(entry)
        if previous is not None and (isinstance(item, tuple) or previous.sha256 == item.sha256()):
            continue  # unchanged content; a misnamed file is rejected once
        pending.append(item)
    return _oldest_first(pending)


def snapshot_stem(relative: str) -> str:
    """A landing path without its extension: the snapshot it captures (``.json`` and
    ``.json.gz`` copies of one capture share it; a key's dots are escaped, so the first
    dot of a name starts the extension)."""
    folder, _, name = relative.rpartition("/")
    return f"{folder}/{name.split('.', 1)[0]}"


def now_utc() -> datetime:
    """The tick's clock (:func:`ingestion.clock.now`) to the second: capture names have
    a second's precision."""
    return clock.now().replace(microsecond=0)
