"""Data files the product ships and both targets and validators use, with the code that reads them.

This package sits below ``builder.targets`` and ``builder.validate``: targets put these files into
packages and validators check against them, so neither imports the other. Everything here is read
from inside the installed package only (never ``../shared``, a cache, the network or a PATH tool),
so the same commit builds the same bytes on every machine.
"""
