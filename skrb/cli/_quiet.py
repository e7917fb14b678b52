"""A calm terminal: TensorFlow's start-up lines dropped, everything else it writes kept.

TensorFlow 2.21 writes start-up lines straight to the process's stderr (file descriptor 2) while
it is imported, before its logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` does not silence
them: ``WARNING: All log messages before absl::InitializeLog() ...``, ``oneDNN custom operations
are on ...`` (twice), ``cpu_feature_guard`` notices. :func:`import_tensorflow_quietly` imports
TensorFlow with descriptor 2 captured and writes back every line except those, so real warnings
still reach the user.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["STARTUP_NOISE", "import_tensorflow_quietly", "startup_noise_filtered"]

STARTUP_NOISE = re.compile(
    r"absl::InitializeLog\(\)|oneDNN custom operations are on|cpu_feature_guard"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions: .* rebuild TensorFlow"
)
"""Lines of TensorFlow's start-up that carry no information for a skrb user."""


@contextlib.contextmanager
def startup_noise_filtered() -> Iterator[None]:
    r"""Capture file descriptor 2 inside the block; write back all but :data:`STARTUP_NOISE`.

    Examples
    --------
    >>> import os
    >>> from skrb.cli._quiet import startup_noise_filtered
    >>> with startup_noise_filtered():
    ...     _ = os.write(2, b"oneDNN custom operations are on. ...\n")
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no real stderr (embedded, captured)
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace")
            kept = [line for line in text.splitlines(True) if not STARTUP_NOISE.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def import_tensorflow_quietly() -> None:
    """Import TensorFlow, dropping its start-up lines (:data:`STARTUP_NOISE`) from stderr.

    Does nothing when TensorFlow is already imported. Any other output of the import (a real
    warning, an error) is written back to stderr unchanged.

    Examples
    --------
    >>> from skrb.cli._quiet import import_tensorflow_quietly
    >>> import_tensorflow_quietly()
    >>> import sys; "tensorflow" in sys.modules
    True
    """
    if "tensorflow" in sys.modules:
        return
    with startup_noise_filtered():
        import tensorflow  # noqa: F401
