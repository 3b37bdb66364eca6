"""Seed data: the official administrative units, the demo dataset."""
