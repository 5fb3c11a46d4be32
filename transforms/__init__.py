"""TensorFlow Transform code: vocabularies, feature bags, the cold/warm flag."""
import promo_env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
