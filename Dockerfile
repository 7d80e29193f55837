# The production Airflow image: Citizen Desk's runtime lock (requirements.lock, the same pins as
# the dev venv's runtime part) and the code Airflow runs. Nothing from development: no devtools/,
# tests/, pytest, ruff or uv (those live in requirements-dev.lock, for .venv only). .dockerignore
# keeps everything else out of the build context. docker-compose.yml mounts the working tree over
# these directories, so a compose deployment runs the checked-out code.
FROM apache/airflow:3.3.2-python3.11
COPY requirements.lock /opt/citizen-desk/requirements.lock
RUN pip install --no-cache-dir -r /opt/citizen-desk/requirements.lock
COPY dags/ /opt/airflow/dags/
COPY plugins/ /opt/airflow/plugins/
COPY include/ /opt/airflow/include/
COPY templates/ /opt/airflow/templates/
# the labelled real corpus: the weekly retrain_triage_model trains and measures on it
COPY datasets/ /opt/airflow/datasets/
ENV PYTHONPATH=/opt/airflow/include
