"""The tickets stage."""
