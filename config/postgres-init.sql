-- The domain database lives beside Airflow's metadata DB but is a separate database and role.
CREATE ROLE citizen_desk LOGIN PASSWORD 'citizen_desk';
CREATE DATABASE citizen_desk OWNER citizen_desk;
