"""`python -m minimod`: the same command line as the `minimod` script."""

from minimod.cli import main

raise SystemExit(main())
