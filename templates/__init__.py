"""Report and form templates, shipped inside the package as ``svcqa.templates``."""
