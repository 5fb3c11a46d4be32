# The pipeline image for Kubeflow / Vertex AI Pipelines and Dataflow workers: the official TFX image of the
# pinned version plus this project (its code is referenced by Python path: transforms.preprocessing.* and
# trainer.*). Build: docker build -t gcr.io/PROJECT/promo-tfx:0.1.0 . && docker push gcr.io/PROJECT/promo-tfx:0.1.0
#
# The whole build context is copied, as the TFX CLI's default Dockerfile does, so every package setup.py lists is
# in the image; .dockerignore keeps out the virtualenv, pipeline outputs, caches and .git. No Docker engine is
# needed to check it: tests/test_dockerfile.py assembles what these COPY lines put in /promo and runs the
# `pip install -e .` below on it (dry run, no dependencies).
#
# TF_USE_LEGACY_KERAS (like the rest of the process environment) is set in one place, promo_env.py, not here.
# Processes in this image can import TensorFlow before any project module does (the KFP executor entry point,
# Beam's SDK harness on Dataflow), so the last step installs a start-up hook instead of an ENV line:
# site-packages/promo_env.pth makes every Python process in the image import promo_env first. promo_env uses
# setdefault, so `docker run -e TF_USE_LEGACY_KERAS=0 ...` still overrides it. Keep promo_env.py light (os and
# warnings only): it runs at every Python start-up here, pip included.
FROM tensorflow/tfx:1.16.0
RUN pip install --no-cache-dir --no-deps tf-keras==2.16.0
WORKDIR /promo
COPY ./ ./
RUN pip install --no-cache-dir --no-deps -e . \
 && python -c "import os, site; open(os.path.join(site.getsitepackages()[0], 'promo_env.pth'), 'w').write(os.getcwd() + '\nimport promo_env\n')"
