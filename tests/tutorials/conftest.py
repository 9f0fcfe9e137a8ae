"""The tutorial scripts and their stand-ins are data that the tests run, not test modules to collect."""

collect_ignore = ["scripts", "standins"]
