"""Output validation: every document under rendered/ is checked against its schema (``relc validate --rendered``)."""
