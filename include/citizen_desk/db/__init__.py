"""Domain database: models, engine, migrations."""
