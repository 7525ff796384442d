"""``python -m svcqa.findings [--markdown]``: list the finding codes, or print docs/FINDINGS.md."""

from svcqa.findings import main

raise SystemExit(main())
