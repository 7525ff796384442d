"""svcqa: monthly service-quality scorecards for telecom branches and after-sales providers.

The package is a library first; ``svcqa.cli`` is a thin Typer shell over it.
"""

__version__ = "0.1.0"
