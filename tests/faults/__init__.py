"""Fault injection: damaged, hostile and impossible inputs, one test file per area.

``helpers.py`` makes the faults (corrupt and truncated files, FIFOs and symlinks, crafted pickles and
PNGs, a machine with little memory, a full disk, Ctrl-C at a chosen moment); the next probe adds a case
as a test beside the others, using or extending the helpers.
"""
