"""One click module per command group; `cli.py` assembles them."""
