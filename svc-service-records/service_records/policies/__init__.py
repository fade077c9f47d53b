"""Service catalogues and minimums profiles per jurisdiction, as YAML data, and their loader."""
