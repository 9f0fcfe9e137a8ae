"""minimod's test suite; its folders mirror the packages."""
