"""PROMO (Prompt Tuning for Item Cold-start Recommendation) as a TFX pipeline.

Dependencies are not declared here: the TFX 1.16 stack is pinned in requirements/lock.txt and
installed by scripts/install.sh (tfx itself needs --no-deps on Python 3.11; see requirements/README.md).
"""
from setuptools import setup

setup(
    name="promo-tfx",
    version="0.1.0",
    description="PROMO item cold-start recommender (RecSys '24) on TFX",
    python_requires=">=3.10,<3.12",
    packages=["data", "evaluation", "pipeline", "serving", "trainer", "trainer.baselines", "transforms"],
    py_modules=["promo_env", "local_runner", "kubeflow_v2_runner"],
    package_data={"pipeline": ["schema/*.pbtxt"]},
)
