"""Writes across models, one module per concern (HackSoft style): ``services.selfcheck.selfcheck_reveal(...)``."""
