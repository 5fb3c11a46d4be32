"""The one place that sets process-wide environment for TensorFlow.

TensorFlow Recommenders and TensorFlow Transform 1.16 need Keras 2 (``tf-keras``), which TF 2.16 only
uses when ``TF_USE_LEGACY_KERAS=1`` is set *before* TensorFlow is first imported. Every package of this
project imports this module first (``import promo_env  # noqa: F401``), so the variable is set in
the process and inherited by Beam's worker processes. ``setdefault`` lets a user override it.
"""
import os
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TF's C++ INFO lines (CPU feature guard, oneDNN notice) drown the pipeline's progress output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
# google-api-core warns at import that Python 3.11 support ends in 2027: true, and not actionable per run.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.api_core\..*")
