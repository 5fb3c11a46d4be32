# syntax=docker/dockerfile:1
# The pipeline image for Kubeflow / Vertex AI Pipelines and Dataflow workers: the stack the tests run, installed the
# way CI installs it. Python 3.11 on Debian 12 (CI's interpreter), the runtime lock (requirements/lock.txt) and this
# project put into /opt/venv by scripts/install.sh --runtime (the one install recipe; the test tools of
# requirements/test-lock.txt stay out), and Apache Beam's worker boot program for Dataflow's sdk_container_image.
# Build: docker build -t gcr.io/PROJECT/promo-tfx:0.1.0 . && docker push gcr.io/PROJECT/promo-tfx:0.1.0
#
# Vertex runs each task's compiled command (`python -m tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor
# ...`), which finds /opt/venv's python first on PATH; Dataflow starts the image's ENTRYPOINT, Beam's boot, which
# runs the SDK harness with that same python (Beam 2.62.0 both sides: the boot's tag must match the lock's
# apache-beam pin, tests/test_dockerfile.py checks it).
#
# The whole build context is copied, as the TFX CLI's default Dockerfile does; .dockerignore keeps out the
# virtualenv, pipeline outputs, caches and .git. Without a Docker engine, tests/test_image_recipe.py assembles what
# these COPY lines put in /promo, runs these RUN lines there with these ENV values (/opt/venv standing in a
# temporary folder), and runs the compiled pipeline's tasks with the result (pipeline/kfp_launcher.py).
#
# The download cache of the install (uv's, pip's) is a build cache mount (BuildKit, also Podman/Buildah): reused
# between builds, never in the image.
#
# TF_USE_LEGACY_KERAS (like the rest of the process environment) is set in one place, promo_env.py, not here.
# Processes in this image can import TensorFlow before any project module does (the KFP executor entry point,
# Beam's SDK harness on Dataflow), so the last step installs a start-up hook: site-packages/promo_env.pth makes every
# Python process of /opt/venv import promo_env first. promo_env uses setdefault, so an ENV value wins: here
# TF_CPP_MIN_LOG_LEVEL=0, TensorFlow's own default, so that Vertex and Dataflow logs keep TensorFlow's C++ warnings
# and errors (promo_env would hide them for a quiet local console). Keep promo_env.py light (os and warnings only).
FROM python:3.11-slim-bookworm
COPY --from=apache/beam_python3.11_sdk:2.62.0 /opt/apache/beam /opt/apache/beam
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH TF_CPP_MIN_LOG_LEVEL=0
WORKDIR /promo
COPY ./ ./
RUN --mount=type=cache,target=/root/.cache VENV=$VIRTUAL_ENV bash scripts/install.sh --runtime \
 && python -c "import os, site; open(os.path.join(site.getsitepackages()[0], 'promo_env.pth'), 'w').write(os.getcwd() + '\nimport promo_env\n')"
ENTRYPOINT ["/opt/apache/beam/boot"]
