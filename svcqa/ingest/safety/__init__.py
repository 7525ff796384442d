"""Checks of untrusted input before a reader touches it: the limits (``limits``) and the package
scans (``package``)."""
