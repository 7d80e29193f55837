# The Airflow image with Citizen Desk's locked dependencies (same pins as `make install`).
FROM apache/airflow:3.3.2-python3.11
COPY requirements.lock /opt/citizen-desk/requirements.lock
RUN pip install --no-cache-dir -r /opt/citizen-desk/requirements.lock
