"""The CNN real/bogus classifiers (scikit-learn classifiers through SciKeras).

- :class:`DIAClassifier` and :class:`NoDIAClassifier`: the two CNNs of Acero-Cuellar et al.
  (2023), on ``StampStacker("dia")`` and ``StampStacker("nodia")`` images;
- :class:`BraaiClassifier`: braai's VGG6 (Duev et al. 2019) on ``StampStacker("channels")``;
- :func:`load_checkpoint`: the published trained networks as fitted classifiers.

Every fitted classifier's ``model_`` maps float32 images to ``(n, 2)`` class probabilities in
``classes_`` order (column 1 = P(real)).
"""

from skrb.models._architectures import ARCHITECTURES, build_stamp_cnn
from skrb.models._base import StampCNNClassifier
from skrb.models._checkpoint import load_checkpoint
from skrb.models._classifiers import BraaiClassifier, DIAClassifier, NoDIAClassifier
from skrb.models._layers import SigmoidToTwoClass

__all__ = [
    "ARCHITECTURES",
    "BraaiClassifier",
    "DIAClassifier",
    "NoDIAClassifier",
    "SigmoidToTwoClass",
    "StampCNNClassifier",
    "build_stamp_cnn",
    "load_checkpoint",
]
