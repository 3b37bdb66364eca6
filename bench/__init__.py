"""The national-scale benchmark of issue 7: `make bench`."""
