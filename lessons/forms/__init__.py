"""Forms and input readers, one module per feature; shared field classes in ``fields``."""
