"""Ask TensorFlow for its oneDNN CPU kernels before it is imported.

TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, when it is first imported, and when the
variable is unset it turns oneDNN on only for some x86-64 CPUs; with it on, skrb's networks
train and predict markedly faster (the measured figures are in the user guide's performance
notes, docs/user_guide/performance.rst). ``import skrb`` therefore sets the variable to
``"1"`` on x86-64 unless the user has set it (``TF_ENABLE_ONEDNN_OPTS=0`` opts out) or
TensorFlow is already imported. The installation page documents it for users.
"""

from __future__ import annotations

import os
import platform
import sys

__all__ = ["onednn_enabled", "prefer_onednn"]

_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def prefer_onednn() -> bool:
    """Set ``TF_ENABLE_ONEDNN_OPTS=1`` where that is still possible and not decided.

    Returns
    -------
    changed : bool
        True when the variable was set here; False when the user had set it, TensorFlow was
        already imported (its choice is made), or the machine is not x86-64.
    """
    if _VARIABLE in os.environ or "tensorflow" in sys.modules:
        return False
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    os.environ[_VARIABLE] = "1"
    return True


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its CPU kernels through oneDNN in this process.

    Importing TensorFlow is needed to tell, so this imports it (and so fixes the choice).

    Returns
    -------
    enabled : bool
        TensorFlow's own answer (``IsMklEnabled``).

    See Also
    --------
    skrb : ``import skrb`` asks for oneDNN unless ``TF_ENABLE_ONEDNN_OPTS`` is already set or
        TensorFlow is already imported.

    Notes
    -----
    If this is False on an x86-64 machine, TensorFlow was imported before skrb or
    ``TF_ENABLE_ONEDNN_OPTS=0`` is set. Set ``TF_ENABLE_ONEDNN_OPTS=1`` in the environment
    (or import skrb first) to use oneDNN.

    Examples
    --------
    >>> from skrb.utils import onednn_enabled
    >>> isinstance(onednn_enabled(), bool)
    True
    """
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())
