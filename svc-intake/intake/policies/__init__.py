"""Jurisdiction policy profiles as data (one YAML file per GB/T 2260 code) and their loader."""
