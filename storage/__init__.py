"""The shared SQL store: models, migrations, repositories, importers and seed data."""
