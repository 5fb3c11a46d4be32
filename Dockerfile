# The pipeline image for Kubeflow / Vertex AI Pipelines and Dataflow workers: the official TFX image of the
# pinned version plus this project (its code is referenced by Python path: transforms.preprocessing.* and
# trainer.*). Build: docker build -t gcr.io/PROJECT/promo-tfx:0.1.0 . && docker push gcr.io/PROJECT/promo-tfx:0.1.0
FROM tensorflow/tfx:1.16.0
ENV TF_USE_LEGACY_KERAS=1
WORKDIR /promo
COPY setup.py promo_env.py local_runner.py kubeflow_v2_runner.py ./
COPY data data
COPY evaluation evaluation
COPY pipeline pipeline
COPY trainer trainer
COPY transforms transforms
RUN pip install --no-cache-dir --no-deps tf-keras==2.16.0 && pip install --no-cache-dir --no-deps -e .
