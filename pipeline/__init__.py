"""The TFX pipeline definition, shared by every runner."""
import promo_env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
