"""Loaders, splits and example building: everything between the published files and ExampleGen."""
