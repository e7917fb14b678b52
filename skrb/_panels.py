"""The canonical panel order of a stamp set."""

PANELS: tuple[str, str, str] = ("search", "template", "difference")
"""Panel order of every stamp-set array ``X`` of shape ``(n_samples, 3, H, W)``."""
