"""Safe model files: fitted pipelines and classifiers saved and loaded without pickle.

:func:`save_model` writes a skrb pipeline or classifier to one file; :func:`load_model` reads
it back, with predictions identical to the saved estimator's. Both are also
``skrb.save_model`` and ``skrb.load_model``.

A pickle (``joblib.dump``) runs code when it is loaded, so a model file received from someone
else could take over the machine that loads it. A skrb model file holds data only:

- ``skrb-model.json``: the format version; the versions of skrb, Keras, TensorFlow,
  scikit-learn, NumPy and Python that wrote it; for each step its class, named from an
  allow-list (skrb's own estimators, :class:`~sklearn.pipeline.Pipeline` and the plain
  scikit-learn steps of :data:`SKLEARN_STEPS`), its parameters (``get_params``) and its fitted
  attributes (``classes_``, input shapes, training history...), as JSON;
- ``networks/<i>.keras``: each network in Keras' own format, loaded with
  ``keras.saving.load_model(..., safe_mode=True)`` once its configuration is checked to name
  only Keras' classes and the layers skrb registered
  (:func:`keras.saving.register_keras_serializable`).

A class outside the allow-list, a parameter that is not plain data (a callback object, a
function), a pickle, a truncated or altered archive are clear one-line errors
(:class:`ModelFileError`) naming the file. Every skrb classifier exported by
:mod:`skrb.models` is accepted (they are SciKeras classifiers whose networks are ``.keras``
files), so new classifiers need no change here.
"""

from skrb.persistence._classes import SKLEARN_STEPS
from skrb.persistence._model_file import FORMAT_VERSION, ModelFileError, load_model, save_model

__all__ = ["FORMAT_VERSION", "SKLEARN_STEPS", "ModelFileError", "load_model", "save_model"]
