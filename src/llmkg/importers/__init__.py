"""Importers that turn external documents (awesome lists, ...) into records in ``data/``."""
