"""A stand-in for the d2l package: the names of `d2l.torch` that the Builders' Guide sections use."""
