"""The one place that sets process-wide environment for TensorFlow, and keeps known noise out of the output.

TensorFlow Recommenders and TensorFlow Transform 1.16 need Keras 2 (``tf-keras``), which TF 2.16 only
uses when ``TF_USE_LEGACY_KERAS=1`` is set *before* TensorFlow is first imported. Every package of this
project imports this module first (``import promo_env  # noqa: F401``), so the variable is set in
the process and inherited by Beam's worker processes. ``setdefault`` lets a user override it.

Known noise. A run of the stack prints messages that tell its user nothing: :data:`KNOWN_NOISE` lists each one
(the pattern of its line, why it is noise) and how it is kept out, by ``kind``:

- ``"tf-cpp"``: TensorFlow's C++ log. ``TF_CPP_MIN_LOG_LEVEL=3`` (set here before TensorFlow loads, inherited by
  Beam's workers) keeps its INFO, WARNING and ERROR lines out and its FATAL ones in. TensorFlow's C++ ERROR lines
  in a run here are only the CUDA registration below: an op or load that fails reaches Python as an exception
  carrying the same message, with its traceback.
- ``"warning"``: a Python warning, matched by the start of its message. Ignored by a filter in this process and,
  through ``PYTHONWARNINGS``, in every Python process it starts (Beam's SDK workers never import this module).
- ``"log"``: a Python log record below ERROR (absl, tensorflow, Beam's relays of its workers' logs), dropped by
  :class:`NoiseFilter` where a runner installs it on its log handler (``local_runner.py``).

``local_runner.py --verbose`` calls :func:`show_everything` to let all of it through again. A user's own
``TF_CPP_MIN_LOG_LEVEL`` wins over the default set here.
"""
import logging
import os
import re
import warnings
from typing import NamedTuple


class Noise(NamedTuple):
    kind: str  # "tf-cpp", "warning" or "log" (see the module's docstring)
    text: str  # a regex searched in the line; for "warning", the literal start of the warning's message
    why: str

    @property
    def regex(self) -> "re.Pattern":
        return re.compile(re.escape(self.text) if self.kind == "warning" else self.text)


KNOWN_NOISE = (
    Noise("tf-cpp", r"Unable to register cu(FFT|DNN|BLAS) factory",
          "TF 2.16 registers its CUDA plugins twice at import, on any machine (tensorflow/tensorflow#62075)"),
    Noise("tf-cpp", r"Could not find cuda drivers|TF-TRT Warning: Could not find TensorRT",
          "TensorFlow looking for a GPU on a CPU machine"),
    Noise("tf-cpp", r"cpu_feature_guard|rebuild TensorFlow with the appropriate compiler flags|oneDNN custom operations",
          "notices about how the TensorFlow binary was built"),
    Noise("tf-cpp", r"Local rendezvous is aborting with status: OUT_OF_RANGE",
          "the end of every pass over a tf.data dataset"),
    Noise("warning", "You are using a Python version",
          "google-api-core: Google ends Python 3.11 support in 2027; true, and not actionable per run"),
    Noise("warning", "grpcio < 1.83.0 does not support Post-Quantum Cryptography",
          "google-auth on the grpcio requirements/lock.txt pins (1.65)"),
    Noise("warning", "Support for google-cloud-storage < 3.0.0 will be removed",
          "google-cloud-aiplatform on the google-cloud-storage requirements/lock.txt pins (2.19)"),
    Noise("log", r"ArtifactQuery\.property_predicate is not supported",
          "TFX's local input resolution, once per input channel; resolution works without it"),
    Noise("log", r"Tables initialized inside a tf\.function",
          "TensorFlow Transform traces the preprocessing_fn's vocabulary lookups inside tf.function, by design"),
    Noise("log", r"Examples artifact does not have payload_format custom property",
          "TFX's Transform leaves the property off its output; the fallback is the format it wrote"),
    Noise("log", r"\(from \S+\) is deprecated and will be removed",
          "TensorFlow's deprecation notices about calls inside TFX, TFT and TFMA"),
    Noise("log", r"arguments contain non-serializable objects\. Please implement a `get_config\(\)`",
          "tf_keras saving the project's models, exported as SavedModels with signatures, never rebuilt from a config"),
    Noise("log", r"No training configuration found in save file",
          "loading a trained model (the base, the Evaluator's candidate) without its optimizer, which is not needed"),
    Noise("log", r"Compiled the loaded model, but the compiled metrics have yet to be built",
          "the Evaluator loading the candidate model, whose Keras metrics it never uses (it calls the signatures)"),
    Noise("log", r"No semi_persistent_directory found|Discarding unparseable args",
          "every Beam SDK worker's start-up (the discarded args are the DirectRunner's own)"),
    Noise("log", r"find python-snappy",
          "Beam's TFRecord checksums in pure Python: slower, and not worth another native dependency"),
    Noise("log", r"cache key varies on repeated tracing",
          "TensorFlow Transform's analyzer cache, which the pipeline does not use"),
)

_WARNINGS = [n.text for n in KNOWN_NOISE if n.kind == "warning"]
_PYTHONWARNINGS = [f"ignore:{text}:FutureWarning" for text in _WARNINGS]


def _set_pythonwarnings(entries) -> None:
    current = [e for e in os.environ.get("PYTHONWARNINGS", "").split(",") if e and e not in _PYTHONWARNINGS]
    if current + entries:
        os.environ["PYTHONWARNINGS"] = ",".join(current + entries)
    else:
        os.environ.pop("PYTHONWARNINGS", None)


def _filter_warnings(action: str) -> None:
    for text in _WARNINGS:
        warnings.filterwarnings(action, message=re.escape(text), category=FutureWarning)


class NoiseFilter(logging.Filter):
    """Drops the log records of :data:`KNOWN_NOISE` (kind ``"log"``); never an ERROR or worse."""

    _regexes = [n.regex for n in KNOWN_NOISE if n.kind == "log"]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        message = record.getMessage()
        return not any(regex.search(message) for regex in self._regexes)


def noise_lines(text: str):
    """The lines of ``text`` (a run's output) that match a :data:`KNOWN_NOISE` pattern."""
    regexes = [n.regex for n in KNOWN_NOISE]
    return [line for line in text.splitlines() if any(regex.search(line) for regex in regexes)]


def show_everything() -> None:
    """Lets the known noise through again: TensorFlow's C++ INFO lines (in this process if TensorFlow is not loaded
    yet, and in every process started from now on) and the known Python warnings."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    _set_pythonwarnings([])
    _filter_warnings("default")


os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_set_pythonwarnings(_PYTHONWARNINGS)
_filter_warnings("ignore")
