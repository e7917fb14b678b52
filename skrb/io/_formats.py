"""Tell what an alert file is (Avro container, Confluent wire packet, Parquet) and whose survey.

Only the first bytes (or the header) of each file are read; container schemas are recognised
once per distinct schema text.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache

from skrb.io._avro import parse_record_schema, read_header
from skrb.io._parquet import PARQUET_MAGIC, parquet_fields
from skrb.io._wire import is_wire_packet

__all__ = ["SURVEY_NAMES", "alert_survey", "sniff"]

SURVEY_NAMES = {"ztf": "ZTF", "lsst": "Rubin (LSST)"}
_AVRO_MAGIC = b"Obj\x01"
_HEAD = 8


def _survey_of_fields(names: set[str], what: str, name: str = "") -> str:
    """Whose alerts a schema with top-level fields ``names`` (record ``name``) describes."""
    if "diaSource" in names:
        return "lsst"
    if "candidate" in names or {"candid", "objectId"} & names or "ztf" in name.lower():
        return "ztf"  # a ZTF packet, perhaps damaged: the ZTF reader says what is missing
    raise ValueError(
        f"not a ZTF alert packet nor a Rubin one: the {what} has neither ZTF's 'candidate' nor "
        "Rubin's 'diaSource' field."
    )


@lru_cache(maxsize=64)
def _container_survey(schema_text: bytes) -> str:
    schema = parse_record_schema(schema_text)
    names = {field.get("name") for field in schema.get("fields", []) if isinstance(field, dict)}
    name = str(schema.get("name"))
    return _survey_of_fields(names, f"Avro schema {name!r}", f"{schema.get('namespace')}.{name}")


def sniff(source: str | os.PathLike[str] | bytes) -> tuple[str, str]:
    """Return ``(kind, survey)`` of an alert file or packet held in memory.

    ``kind`` is ``"container"``, ``"wire"`` or ``"parquet"``; ``survey`` is ``"ztf"`` or
    ``"lsst"``. Raises ValueError (OSError for unreadable files) naming what is wrong.
    """
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as stream:
        head = stream.read(_HEAD)
        if head.startswith(_AVRO_MAGIC):
            stream.seek(0)
            return "container", _container_survey(read_header(stream)[0]["avro.schema"])
    if head.startswith(PARQUET_MAGIC):
        return "parquet", _survey_of_fields(set(parquet_fields(source)), "Parquet file")
    if is_wire_packet(head):
        return "wire", "lsst"
    if not head:
        raise ValueError("the file is empty.")
    raise ValueError(
        "not an alert packet: neither an Avro container file (magic 'Obj\\x01'), a Confluent "
        "wire-format packet (byte 0 = 0) nor a Parquet file (magic 'PAR1')."
    )


def alert_survey(paths: object) -> str | None:
    """Return the survey (``"ztf"`` or ``"lsst"``) of the first recognisable file in ``paths``.

    ``paths`` as :func:`skrb.io.read_alerts` takes them (files, folders, patterns, bytes); files
    that cannot be recognised are passed over. ``None`` when none is recognised.
    """
    from skrb.io._alerts import _sources

    for _, source in _sources(paths):  # type: ignore[arg-type]
        try:
            return sniff(source)[1]
        except (OSError, ValueError, EOFError):
            continue
    return None
