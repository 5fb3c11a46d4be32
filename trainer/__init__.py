"""Keras models and the TFX Trainer entry points."""
import promo_env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
