"""User state, profiles folder → landing: the whole folder archived as one JSON bundle
whenever any file in it changed (``user_state/profiles/<capture>.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingestion.http import FetchReport, config_path
from ingestion.landing import LandingFile, archive_if_changed, newest_file, now_utc
from ingestion.sources.user_state.tables import ENDPOINT, SOURCE


def profiles_dir() -> Path:
    """The folder of profile YAML files (SOURCES__USER_STATE__PROFILES_DIR, default
    ``config/profiles``)."""
    return config_path(SOURCE, "profiles_dir", "profiles")


def bundle_folder(folder: Path) -> bytes:
    """The folder's profile files as one document (name → text), in a stable order."""
    files: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".csv"):
                files[path.name] = path.read_text(encoding="utf-8")
    return json.dumps({"files": files}, indent=1, sort_keys=True).encode()


def fetch(*, root: Path | None = None, folder: Path | None = None, **_: Any) -> FetchReport:
    """Archive the profiles folder when anything in it changed since the last version."""
    report = FetchReport(SOURCE)
    written = archive_if_changed(
        SOURCE, ENDPOINT, now_utc(), bundle_folder(folder or profiles_dir()), root=root
    )
    if written is not None:
        report.files.append(written.relative)
    return report


def current_bundle(root: Path | None = None) -> LandingFile | None:
    """The newest archived profiles bundle in the landing zone (``root``), or None."""
    return newest_file(SOURCE, ENDPOINT, root)
