"""The canonical panel order of a stamp set."""

PANELS: tuple[str, str, str] = ("search", "template", "difference")
"""Panel order of every stamp-set array ``X`` of shape ``(n_samples, 3, H, W)``."""

DISPLAY_ORDER: tuple[str, str, str] = ("difference", "search", "template")
"""Panel order of every figure and table: the paper's (the DIA model's stacking order)."""

PANEL_COLORS: dict[str, str] = {
    "difference": "#0072B2",  # blue   (Okabe-Ito colour-blind-safe palette)
    "search": "#E69F00",  # orange
    "template": "#009E73",  # green
}
"""One colour per panel, the same in every figure (and the README)."""
