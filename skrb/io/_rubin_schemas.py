"""Rubin's alert schemas, from the ``lsst-alert-packet`` package (no schema is copied into skrb).

- :func:`wire_schemas` gives the writer and reader schemas of a Confluent wire-format packet's
  schema id (``100 * major + minor``: 701 is ``lsst.v7_1``);
- :func:`container_schemas` the schemas of an Avro container file's header (Rubin's own or a
  broker's re-serialisation such as Fink's ``topLevelRecord``);
- :func:`infer_version` names the Rubin schema version whose records a broker's re-serialisation
  holds (it often drops Rubin's namespace): the version whose record fields are the file's.

Every reader schema keeps only :data:`RUBIN_FIELDS`, so that fastavro skips the previous sources,
the object and the broker's own additions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

import fastavro

from skrb.io._avro import CUTOUT_FIELDS, parse_record_schema, project_schema

__all__ = [
    "RUBIN_FIELDS",
    "container_schemas",
    "infer_version",
    "record_signature",
    "version_name",
    "wire_schemas",
]

RUBIN_FIELDS = ("diaSourceId", "alertId", "diaSource", "lsst_schema_version", *CUTOUT_FIELDS)
"""Top-level fields of a Rubin alert that skrb decodes (the rest is skipped)."""

_VERSION = re.compile(r"lsst\.v(\d+)_(\d+)")


def version_name(major: int, minor: int) -> str:
    """``lsst.vM_m``, the name Rubin gives a schema version."""
    return f"lsst.v{major}_{minor}"


def _installed() -> list[tuple[int, int]]:
    """Return the (major, minor) schema versions the installed lsst-alert-packet ships."""
    from lsst.alert.packet import get_schema_root

    root = get_schema_root()
    versions = []
    for major in root.iterdir():
        if major.name.isdigit() and major.is_dir():
            versions.extend(
                (int(major.name), int(minor.name))
                for minor in major.iterdir()
                if minor.name.isdigit() and minor.is_dir()
            )
    return sorted(versions)


@cache
def _definition(major: int, minor: int) -> dict[str, Any]:
    """Return the resolved schema ``lsst.vM_m`` as lsst-alert-packet's ``Schema`` loads it."""
    from lsst.alert.packet import Schema, get_schema_path

    path = os.path.join(get_schema_path(major, minor), f"{version_name(major, minor)}.alert.avsc")
    if not os.path.isfile(path):
        from importlib.metadata import version

        known = ", ".join(version_name(*v) for v in _installed())
        raise ValueError(
            f"schema {version_name(major, minor)} is not in the installed lsst-alert-packet "
            f"{version('lsst-alert-packet')} (it has {known}); upgrade that package."
        )
    return Schema.from_file(path).definition


@lru_cache(maxsize=64)
def wire_schemas(schema_id: int, keep: tuple[str, ...] = ()) -> tuple[Any, Any, str]:
    """Writer schema, reader schema and version name of a Confluent packet's ``schema_id``.

    The reader schema keeps :data:`RUBIN_FIELDS` and the top-level fields ``keep``.
    """
    major, minor = divmod(schema_id, 100)
    if major < 1:
        raise ValueError(
            f"schema id {schema_id} is not a Rubin alert schema id (100 * major + minor)."
        )
    definition = _definition(major, minor)
    return (
        fastavro.parse_schema(definition),
        project_schema(definition, (*RUBIN_FIELDS, *keep)),
        version_name(major, minor),
    )


def _record_fields(kind: Any) -> tuple[str, ...] | None:
    """Field names of the record inside ``kind`` (a union with null, an array of it), or None."""
    if isinstance(kind, list):
        for branch in kind:
            names = _record_fields(branch)
            if names is not None:
                return names
        return None
    if isinstance(kind, dict):
        if kind.get("type") == "record":
            return tuple(field["name"] for field in kind["fields"])
        if kind.get("type") == "array":
            return _record_fields(kind["items"])
        if isinstance(kind.get("type"), dict | list):
            return _record_fields(kind["type"])
    return None


def record_signature(fields: Iterable[tuple[str, tuple[str, ...] | None]]) -> dict[str, Any]:
    """``{"": top-level names, field: its record's names}`` from ``(name, record names)`` pairs."""
    pairs = list(fields)
    signature: dict[str, Any] = {"": frozenset(name for name, _ in pairs)}
    signature.update({name: frozenset(sub) for name, sub in pairs if sub is not None})
    return signature


def _avro_signature(schema: Mapping[str, Any]) -> dict[str, Any]:
    expanded = fastavro.parse_schema(schema, expand=True, _write_hint=False)
    return record_signature(
        (field["name"], _record_fields(field["type"])) for field in expanded["fields"]
    )


@cache
def _known_signatures() -> tuple[tuple[str, dict[str, Any]], ...]:
    return tuple(
        (version_name(*v), _avro_signature(_definition(*v)))
        for v in _installed()
        if v[0] >= 3  # versions 1-2 had no cutouts as bytes
    )


def infer_version(signature: Mapping[str, Any]) -> str:
    """Name the Rubin schema version whose records have the fields of ``signature``.

    A version matches when the file's ``diaSource`` and every other record both share
    (``diaObject``, ``prvDiaSources``, ...) have the same fields; where several match, those
    whose top-level fields are all in the file (a broker may add its own, or export only some)
    are preferred. Returns ``"lsst.vM_m"``, several names joined by ``|`` when versions cannot
    be told apart, or ``"lsst"`` when none matches.
    """
    matches = [
        (name, known[""] <= signature[""])
        for name, known in _known_signatures()
        if "diaSource" in signature
        and all(known[key] == signature[key] for key in known.keys() & signature.keys() - {""})
    ]
    complete = [name for name, whole in matches if whole]
    names = complete or [name for name, _ in matches]
    return "|".join(names) if names else "lsst"


@lru_cache(maxsize=32)
def container_schemas(
    schema_text: bytes, keep: tuple[str, ...] = ()
) -> tuple[Any, Any, str | None]:
    """Writer schema, reader schema and version (None: unknown yet) of a container's header.

    The reader schema keeps :data:`RUBIN_FIELDS` and the top-level fields ``keep`` (columns
    asked for, e.g. ``observation_reason``). The version comes from a Rubin namespace
    (``lsst.v7_4``) where the schema keeps it; otherwise it is inferred later (see
    :func:`container_version`) unless records carry Fink's ``lsst_schema_version``.
    """
    writer = parse_record_schema(schema_text, "a Rubin alert container")
    match = _VERSION.match(str(writer.get("namespace") or writer.get("name") or ""))
    version = version_name(int(match[1]), int(match[2])) if match else None
    return fastavro.parse_schema(writer), project_schema(writer, (*RUBIN_FIELDS, *keep)), version


@lru_cache(maxsize=32)
def container_version(schema_text: bytes) -> str:
    """Return the Rubin schema version inferred from a container header's schema text."""
    return infer_version(_avro_signature(json.loads(schema_text)))
