"""Model registry (torchvision's ``register_model`` / ``get_model`` shape) and architectures."""

# Register architectures (import for side effects).
from gialib.models import convnet as _convnet  # noqa: E402,F401,I001
from gialib.models import resnet as _resnet  # noqa: E402,F401
from gialib.models import vgg as _vgg  # noqa: E402,F401
from gialib.models import densenet as _densenet  # noqa: E402,F401
from gialib.models import inception as _inception  # noqa: E402,F401
from gialib.models.registry import MODELS, Classifier, build_model, classifier_layer, list_models

__all__ = ["MODELS", "Classifier", "build_model", "classifier_layer", "list_models"]
